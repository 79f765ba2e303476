// Reload benchmark: save → new code served, for the loa dev engine and its peers, on the same
// identity service, in the same run. Prints a table; asserts nothing (targets are read by people).
//
//   npm run bench:reload [-- --edits 20] [-- --only engine,node-watch]
//
// Each runner gets a fresh copy of libs/loa-identity, .claude/lib and grimoires in a temp folder.
// An edit rewrites libs/loa-identity/src/version.ts; the time runs from the write until GET /health
// reports the new version (polled every 2 ms on loopback).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../../../libs/dev-engine/src/testing/fixtures.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'node_modules/.bin');
const NODE = process.execPath;
const CLOCK_TICKS = 100; // USER_HZ on Linux

const { values: args } = parseArgs({
  options: {
    edits: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const EDITS = Number(args.edits);
const WARMUP = Number(args.warmup);

interface Runner {
  name: string;
  note: string;
  available(): string | undefined;
  command(port: number): { file: string; args: string[] };
}

const MAIN = 'libs/loa-identity/src/main.ts';
const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();

const runners: Runner[] = [
  {
    name: 'loa engine',
    note: 'bundled engine, warm standby; restarts identity only',
    available: () => undefined,
    command: () => ({ file: NODE, args: [join(ROOT, 'dist/libs/dev-engine/cli.mjs'), '--options', 'bench-options.json'] }),
  },
  {
    name: 'node --watch',
    note: 'Node 22 built-in, same type stripping',
    available: () => undefined,
    command: () => ({ file: NODE, args: ['--watch', MAIN] }),
  },
  {
    name: 'tsx watch',
    note: 'esbuild transpile on each start',
    available: () => undefined,
    command: () => ({ file: join(BIN, 'tsx'), args: ['watch', MAIN] }),
  },
  {
    name: 'nodemon',
    note: 'default settings, --exec node',
    available: () => undefined,
    command: () => ({ file: join(BIN, 'nodemon'), args: ['--quiet', '--watch', 'libs/loa-identity/src', '--ext', 'ts', '--exec', `${NODE} ${MAIN}`] }),
  },
  {
    name: 'seed entr loop',
    note: 'C3: find | entr -d -r in a while loop (-n: no TTY)',
    available: () => (which('entr') ? undefined : 'entr not installed (apt-get install entr)'),
    command: () => ({
      file: 'sh',
      args: [
        '-c',
        `while true; do find libs/loa-identity -name '*.ts' | entr -n -d -r ${NODE} ${MAIN}; sleep 1; done`,
      ],
    }),
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function health(port: number): Promise<{ version?: string; pid?: number } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
    return response.ok ? ((await response.json()) as { version: string; pid: number }) : undefined;
  } catch {
    return undefined;
  }
}

async function waitVersion(port: number, version: string, timeoutMs = 20_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if ((await health(port))?.version === version) return performance.now() - start;
    await sleep(2);
  }
  throw new Error(`version ${version} not served within ${timeoutMs} ms`);
}

function workspace(port: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'loa-bench-'));
  cpSync(join(ROOT, 'libs/loa-identity/src'), join(dir, 'libs/loa-identity/src'), { recursive: true });
  cpSync(join(ROOT, 'libs/loa-identity/package.json'), join(dir, 'libs/loa-identity/package.json'));
  cpSync(join(ROOT, '.claude/lib'), join(dir, '.claude/lib'), { recursive: true });
  cpSync(join(ROOT, 'grimoires'), join(dir, 'grimoires'), { recursive: true });
  writeFileSync(
    join(dir, 'bench-options.json'),
    JSON.stringify({
      env: { LOA_IDENTITY_PORT: String(port), LOA_DATA_DIR: '.loa/data', LOA_WORKSPACE_DIR: '.loa/workspace' },
      processes: [{ name: 'identity', command: 'node', args: [MAIN], standby: true, health: { http: `http://127.0.0.1:${port}/health`, accept: ['json'] } }],
      rules: [{ match: ['libs/loa-identity/**/*.ts', '.claude/lib/**/*.ts'], restart: ['identity'] }],
      debounceMs: 20,
    }),
  );
  return dir;
}

const setVersion = (dir: string, version: string) =>
  writeFileSync(join(dir, 'libs/loa-identity/src/version.ts'), `export const VERSION = '${version}';\n`);

function start(runner: Runner, dir: string, port: number): { child: ChildProcess; output: () => string } {
  const { file, args: argv } = runner.command(port);
  let output = '';
  const child = spawn(file, argv, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOA_IDENTITY_PORT: String(port), LOA_DATA_DIR: '.loa/data', LOA_WORKSPACE_DIR: '.loa/workspace', PATH: `${BIN}:${process.env.PATH}` },
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i += 1) {
    try {
      process.kill(-child.pid!, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (ms: number | undefined) => (ms === undefined ? '—' : `${Math.round(ms)} ms`);

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

interface Row {
  name: string;
  note: string;
  p50?: number;
  p95?: number;
  max?: number;
  skipped?: string;
}

async function measure(runner: Runner): Promise<{ row: Row; extra?: Record<string, string> }> {
  const problem = runner.available();
  if (problem) return { row: { name: runner.name, note: runner.note, skipped: problem } };
  const port = await freePort();
  const dir = workspace(port);
  setVersion(dir, 'initial');
  const { child, output } = start(runner, dir, port);
  try {
    await waitVersion(port, 'initial', 30_000);
    await sleep(500);
    const samples: number[] = [];
    for (let i = 0; i < EDITS + WARMUP; i += 1) {
      const version = `edit-${i}`;
      setVersion(dir, version);
      const ms = await waitVersion(port, version);
      if (i >= WARMUP) samples.push(ms);
      await sleep(300); // let the runner settle, as a person between saves
    }
    samples.sort((a, b) => a - b);
    const row: Row = { name: runner.name, note: runner.note, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.at(-1) };
    if (runner.name !== 'loa engine') return { row };

    // The engine only: a 500-file burst, idle CPU, peak RSS of the engine process itself.
    const before = (output().match(/reloaded identity/g) ?? []).length;
    const burstStart = performance.now();
    mkdirSync(join(dir, 'libs/loa-identity/src/burst'), { recursive: true });
    for (let i = 0; i < 500; i += 1) writeFileSync(join(dir, `libs/loa-identity/src/burst/file-${i}.ts`), `export const n${i} = ${i};\n`);
    setVersion(dir, 'after-burst');
    await waitVersion(port, 'after-burst');
    const burstHealthy = performance.now() - burstStart;
    await sleep(1500);
    const restarts = (output().match(/reloaded identity/g) ?? []).length - before;

    const idleSeconds = 5;
    const ticksBefore = cpuTicks(child.pid!);
    await sleep(idleSeconds * 1000);
    const idleCpu = ((cpuTicks(child.pid!) - ticksBefore) / CLOCK_TICKS / idleSeconds) * 100;
    return {
      row,
      extra: {
        '500-file burst: restarts': String(restarts),
        '500-file burst: write start → new code served': fmt(burstHealthy),
        'engine idle CPU (5 s, engine process)': `${idleCpu.toFixed(2)} %`,
        'engine peak RSS (VmHWM, engine process)': `${peakRssMb(child.pid!).toFixed(1)} MB`,
      },
    };
  } catch (error) {
    return { row: { name: runner.name, note: runner.note, skipped: `failed: ${(error as Error).message}; last output: ${output().slice(-300)}` } };
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const only = args.only?.split(',');
  const selected = runners.filter((r) => !only || only.some((o) => r.name.replace(/\W+/g, '-').includes(o)));
  console.log(`reload benchmark: ${EDITS} edits per runner (+${WARMUP} warm-up), Node ${process.versions.node}, ${new Date().toISOString()}\n`);
  const rows: Row[] = [];
  let extra: Record<string, string> = {};
  for (const runner of selected) {
    process.stdout.write(`  measuring ${runner.name}…\n`);
    const result = await measure(runner);
    rows.push(result.row);
    if (result.extra) extra = result.extra;
  }
  const header = ['runner', 'p50', 'p95', 'max', 'notes'];
  const lines = rows.map((r) => [r.name, fmt(r.p50), fmt(r.p95), fmt(r.max), r.skipped ?? r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\nsave → new code served (GET /health shows the new version)\n`);
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));

  const engine = rows.find((r) => r.name === 'loa engine');
  const peers = rows.filter((r) => r !== engine && r.p50 !== undefined).sort((a, b) => a.p50! - b.p50!);
  if (engine?.p50 !== undefined && peers.length) {
    console.log(`\nengine p50 / best peer p50 (${peers[0].name}): ${(engine.p50 / peers[0].p50!).toFixed(2)}  (target ≤ 0.50; p50 target ≤ 250 ms)`);
  }
  for (const [key, value] of Object.entries(extra)) console.log(`${key}: ${value}`);
}

await main();
