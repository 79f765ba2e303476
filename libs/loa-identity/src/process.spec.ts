import { jest } from '@jest/globals';
// identity and regenerate-soul.ts as the dev loop and start-loa.sh run them: real processes on one data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SOUL_HEADER } from './soul.ts';

const SRC = resolve(import.meta.dirname);
const MAIN = join(SRC, 'main.ts');
const REGENERATE = join(SRC, 'regenerate-soul.ts');
// Bounds every wait inside a test; jest's own limit (below) sits above it so the clearer message wins.
const TIMEOUT_MS = 10_000;
jest.setTimeout(3 * TIMEOUT_MS);

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

describe('identity processes on one data dir', () => {
  let root: string;
  const runs: Run[] = [];

  const env = () => ({
    ...process.env,
    LOA_IDENTITY_PORT: '0',
    LOA_DATA_DIR: join(root, 'data'),
    LOA_GRIMOIRES_DIR: join(root, 'grimoires'),
    LOA_WORKSPACE_DIR: join(root, 'ws'),
  });

  const start = (command: string, args: string[]): Run => {
    const child = spawn(command, args, { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolvePromise) => child.once('close', (code) => resolvePromise(code)));
    const run = { child, output: () => output, exited };
    runs.push(run);
    return run;
  };
  const node = (script: string) => start(process.execPath, [script]);

  const waitFor = async <T>(what: string, probe: () => T | undefined): Promise<T> => {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
    }
  };
  const listening = (run: Run) =>
    waitFor('identity to listen', () => {
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\/health/.exec(run.output());
      if (!match && run.child.exitCode !== null) throw new Error(`identity exited: ${run.output()}`);
      return match ? Number(match[1]) : undefined;
    });
  const exitOf = async (run: Run) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running: ${run.output()}`)), TIMEOUT_MS);
    });
    try {
      return await Promise.race([run.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const health = async (port: number) => {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const walSeqs = () =>
    readFileSync(join(root, 'data', 'identity.wal'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
  const hashOfSoul = () => createHash('sha256').update(readFileSync(join(root, 'ws', 'SOUL.md'))).digest('hex').slice(0, 16);
  const writeBeauvoir = (text: string) => writeFileSync(join(root, 'grimoires', 'loa', 'BEAUVOIR.md'), text);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'loa-identity-proc-'));
    mkdirSync(join(root, 'grimoires', 'loa'), { recursive: true });
    writeBeauvoir('# Beauvoir v1\n');
  });
  afterEach(async () => {
    for (const run of runs.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
      await run.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a second identity on the same data dir with one line naming the dir, the holder and the fix', async () => {
    const first = node(MAIN);
    const port = await listening(first);
    const second = node(MAIN);
    expect(await exitOf(second)).toBe(1);
    const dataDir = join(root, 'data');
    expect(second.output()).toBe(
      `[identity] ERROR: data dir ${dataDir} is in use by loa-identity pid ${first.child.pid} (lock ${join(dataDir, 'identity.lock')}) — ` +
        'stop that process first, or give this one its own LOA_DATA_DIR\n',
    );
    expect((await health(port)).body).toMatchObject({ ok: true, pid: first.child.pid, starts: 1 });
    expect(walSeqs()).toEqual([1, 2]);
  });

  it('regenerates through the running identity: /health reports the new SOUL.md hash and the log has one writer', async () => {
    const identity = node(MAIN);
    const port = await listening(identity);
    const before = (await health(port)).body.soulHash;

    writeBeauvoir('# Beauvoir v2\n');
    const regenerate = node(REGENERATE);
    expect(await exitOf(regenerate)).toBe(0);
    const hash = hashOfSoul();
    expect(hash).not.toBe(before);
    expect(regenerate.output()).toBe(`[identity] SOUL.md regenerated (${hash}) by the running identity (pid ${identity.child.pid})\n`);
    expect((await health(port)).body).toMatchObject({ ok: true, soulHash: hash, walSeq: 3 });

    identity.child.kill('SIGTERM');
    expect(await exitOf(identity)).toBe(0);
    // One writer: one unbroken sequence (start, soul at start, soul on request), and the lock released.
    expect(walSeqs()).toEqual([1, 2, 3]);
    expect(existsSync(join(root, 'data', 'identity.lock'))).toBe(false);
  });

  it('regenerates by itself under the lock when no identity runs (start-loa.sh does this before starting identity)', async () => {
    const regenerate = node(REGENERATE);
    expect(await exitOf(regenerate)).toBe(0);
    expect(regenerate.output()).toBe(`[identity] SOUL.md regenerated (${hashOfSoul()})\n`);
    expect(existsSync(join(root, 'data', 'identity.lock'))).toBe(false);

    const identity = node(MAIN);
    const port = await listening(identity);
    expect((await health(port)).body).toMatchObject({ ok: true, soulHash: hashOfSoul(), walSeq: 2 });
  });

  it('reports a log that lost a write (a short write under `ulimit -f`) as 503 with the reason, and says so loudly', async () => {
    // Just under bash's `ulimit -f 1` (1024 bytes): the start record straddles the limit.
    mkdirSync(join(root, 'data'));
    let wal = '';
    for (let seq = 1; ; seq += 1) {
      const line = `${JSON.stringify({ seq, type: 'note', at: '2026-01-01T00:00:00.000Z' })}\n`;
      if (wal.length + line.length > 1000) break;
      wal += line;
    }
    writeFileSync(join(root, 'data', 'identity.wal'), wal);
    const before = walSeqs();
    // SOUL.md already current, as in the report: the start record is the only write.
    mkdirSync(join(root, 'ws'));
    writeFileSync(join(root, 'ws', 'SOUL.md'), `${SOUL_HEADER}# Beauvoir v1\n`);

    const identity = start('bash', ['-c', 'ulimit -f 1 && exec "$0" "$1"', process.execPath, MAIN]);
    const port = await listening(identity);
    const { status, body } = await health(port);
    expect(status).toBe(503);
    expect(body).toMatchObject({ ok: false, walSeq: before.length });
    expect(body.error).toMatch(/^write-ahead log failed: record #\d+ \(start\) was not written \(EFBIG\) — free disk space or raise the file size limit/);
    expect(identity.output()).toContain('[identity] ERROR: write-ahead log failed: record');
    // The partial record was cut off again: the log still ends on a record boundary.
    expect(readFileSync(join(root, 'data', 'identity.wal'), 'utf8')).toBe(wal);
  });

  it('refuses a data dir it cannot use with one line naming it and the fix, and exits 1', async () => {
    writeFileSync(join(root, 'data'), 'a file where the data dir should be');
    const identity = node(MAIN);
    expect(await exitOf(identity)).toBe(1);
    expect(identity.output()).toBe(
      `[identity] ERROR: data dir ${join(root, 'data')} is not usable (EEXIST on ${join(root, 'data')}) — make it a writable folder, or set LOA_DATA_DIR to one\n`,
    );
  });
});
