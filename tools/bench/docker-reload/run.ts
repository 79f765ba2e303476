// Docker benchmark: in the loa-dev container, save on the host → new code served, for the loa engine
// and, in the same container image on the same service, the seed's entr loop (start-loa-dev.sh with
// LOA_RELOAD=entr). Also: the dev image's overhead over its base, a cached rebuild of the dev image,
// and `nx run loa:dev` from start to healthy with the image present. Prints numbers; asserts nothing.
//
//   npm run bench:docker [-- --edits 20]
//
// Needs a Docker engine (tools/docker/ensure-engine.sh) and port 3000 free. Runs in a copy of the
// workspace with its own compose project and volume, removed at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { copyWorkspace, projectContainers, removeDockerState, type WorkspaceCopy } from '../../testing/workspace-copy.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const NX = join(REPO, 'node_modules/.bin/nx');
const HEALTH = 'http://127.0.0.1:3000/health';
const { values: args } = parseArgs({ options: { edits: { type: 'string', default: '20' }, warmup: { type: 'string', default: '2' } } });
const EDITS = Number(args.edits);
const WARMUP = Number(args.warmup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = (copy: WorkspaceCopy) => ({ ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', COMPOSE_PROJECT_NAME: copy.project, CI: 'true' });

async function version(): Promise<string | undefined> {
  try {
    const response = await fetch(HEALTH, { signal: AbortSignal.timeout(500) });
    return response.ok ? ((await response.json()) as { version: string }).version : undefined;
  } catch {
    return undefined;
  }
}

async function waitVersion(expected: string | undefined, timeoutMs = 60_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    const current = await version();
    if (expected === undefined ? current !== undefined : current === expected) return performance.now() - start;
    await sleep(2);
  }
  throw new Error(`health did not show ${expected ?? 'any version'} within ${timeoutMs} ms`);
}

function timed(command: string, argv: string[], cwd: string, environment: NodeJS.ProcessEnv): { ms: number; output: string } {
  const start = performance.now();
  const result = spawnSync(command, argv, { cwd, env: environment, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed:\n${(result.stdout + result.stderr).slice(-2000)}`);
  return { ms: performance.now() - start, output: result.stdout + result.stderr };
}

async function stop(child: ChildProcess, copy: WorkspaceCopy) {
  if (child.exitCode === null) {
    process.kill(-child.pid!, 'SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
  for (let i = 0; i < 300 && projectContainers(copy.project).length; i += 1) await sleep(100);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measureReload(mode: 'engine' | 'entr'): Promise<{ startMs: number; p50: number; p95: number; max: number }> {
  const copy = copyWorkspace(REPO, { envLocal: 'ANTHROPIC_API_KEY=bench\n', extraEnvironment: { LOA_RELOAD: mode } });
  const setVersion = (v: string) => writeFileSync(join(copy.dir, 'libs/loa-identity/src/version.ts'), `export const VERSION = '${v}';\n`);
  setVersion('initial');
  const started = performance.now();
  const child = spawn(NX, ['run', 'loa:dev:ci'], { cwd: copy.dir, env: env(copy), detached: true, stdio: 'ignore' });
  try {
    await waitVersion('initial', 120_000);
    const startMs = performance.now() - started;
    await sleep(1000);
    const samples: number[] = [];
    for (let i = 0; i < EDITS + WARMUP; i += 1) {
      setVersion(`${mode}-${i}`);
      const ms = await waitVersion(`${mode}-${i}`);
      if (i >= WARMUP) samples.push(ms);
      // entr -d exits when a folder changes and the loop sleeps 1 s before watching again: give it that.
      await sleep(mode === 'entr' ? 1500 : 300);
    }
    samples.sort((a, b) => a - b);
    return { startMs, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.at(-1)! };
  } finally {
    await stop(child, copy);
    removeDockerState(copy);
    rmSync(copy.dir, { recursive: true, force: true });
  }
}

async function main() {
  console.log(`docker benchmark: ${EDITS} edits per mode (+${WARMUP} warm-up), ${new Date().toISOString()}\n`);
  const copy = copyWorkspace(REPO, { envLocal: 'ANTHROPIC_API_KEY=bench\n' });
  let overhead: string;
  let cachedRebuildMs: number;
  try {
    const first = timed(NX, ['run', 'loa:image:ci'], copy.dir, env(copy));
    overhead = /\[loa\] (loa-dev:local: .*budget \d+ MB)/.exec(first.output)?.[1] ?? 'size line not found';
    cachedRebuildMs = timed(NX, ['run', 'loa:image:ci'], copy.dir, env(copy)).ms;
  } finally {
    rmSync(copy.dir, { recursive: true, force: true });
  }
  process.stdout.write('  measuring the engine in the container…\n');
  const engine = await measureReload('engine');
  process.stdout.write('  measuring the seed entr loop in the same container…\n');
  const entr = await measureReload('entr');

  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  console.log('\nhost save → new code served from the container (GET /health shows the new version)\n');
  console.log('| reload in the container | p50 | p95 | max | nx run loa:dev → healthy |');
  console.log('|---|---|---|---|---|');
  console.log(`| loa engine | ${fmt(engine.p50)} | ${fmt(engine.p95)} | ${fmt(engine.max)} | ${fmt(engine.startMs)} |`);
  console.log(`| seed entr loop (-n -d -r) | ${fmt(entr.p50)} | ${fmt(entr.p95)} | ${fmt(entr.max)} | ${fmt(entr.startMs)} |`);
  console.log(`\nengine p50 / entr p50: ${(engine.p50 / entr.p50).toFixed(2)}  (targets: engine p50 ≤ 400 ms and below entr)`);
  console.log(`dev image: ${overhead}  (target overhead ≤ 60 MB)`);
  console.log(`cached rebuild of the dev image (nx run loa:image:ci, base present): ${fmt(cachedRebuildMs)}`);
}

await main();
