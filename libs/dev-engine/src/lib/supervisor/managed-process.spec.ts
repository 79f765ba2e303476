import { spawn, spawnSync } from 'node:child_process';
import { freePort, getJson, processAlive, tempDir, waitFor, writeFile, writeService } from '../../testing/fixtures.ts';
import { copyFileSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, retryDelayMs, STABLE_AFTER_MS, standbyArgs, type ProcessEvent, type SupervisorClock } from './managed-process.ts';

describe('retryDelayMs', () => {
  it('doubles from 1 s and stops at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});

/**
 * Backoff with real processes and an injected clock: the retry timer records the delay it was asked
 * for and fires at once, so the sequence of delays is checked without waiting for it.
 */
describe('ManagedProcess crash backoff (real processes, injected clock)', () => {
  let workspace: ReturnType<typeof tempDir>;
  let managed: ManagedProcess | undefined;
  afterEach(async () => {
    await managed?.close();
    managed = undefined;
    workspace.remove();
  });

  async function crashLoop(withHealth: boolean, crashes: number, onHealthy: (count: number, clock: { offset: number }) => void = () => undefined) {
    workspace = tempDir('loa-backoff-');
    const port = await freePort();
    // Healthy (listening, or at once without a health check), then dead 150 ms later: a crash right after a good start.
    writeFile(
      workspace.path,
      'flaky.mjs',
      "import { createServer } from 'node:http';\n" +
        "createServer((q, r) => r.end('{\"ok\":true}')).listen(Number(process.env.PORT), '127.0.0.1', () => setTimeout(() => process.exit(3), 150));\n",
    );
    const fake = { offset: 0 };
    const delays: number[] = [];
    const clock: SupervisorClock = {
      now: () => Date.now() + fake.offset,
      setTimeout: (callback, ms) => {
        delays.push(ms);
        return setTimeout(callback, 0);
      },
      clearTimeout: (timer) => clearTimeout(timer),
    };
    const events: ProcessEvent[] = [];
    managed = new ManagedProcess(
      {
        name: 'flaky',
        command: process.execPath,
        args: ['flaky.mjs'],
        cwd: workspace.path,
        env: { ...process.env, PORT: String(port) },
        health: withHealth ? { http: `http://127.0.0.1:${port}/` } : undefined,
        startTimeoutMs: 10_000,
        graceMs: 1000,
      },
      {
        onLine: () => undefined,
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'healthy') onHealthy(events.filter((e) => e.type === 'healthy').length, fake);
        },
      },
      clock,
    );
    managed.requestRestart(['start']);
    await waitFor(`${crashes} crashes`, () => events.filter((e) => e.type !== 'healthy').length >= crashes, 30_000);
    await managed.close();
    managed = undefined;
    return events.filter((e) => e.type !== 'healthy').map((e) => (e as { retryInMs: number }).retryInMs);
  }

  it.each([
    ['passes its health check', true],
    ['has no health check', false],
  ])('a process that dies right after it %s backs off 1 s, 2 s, 4 s, 8 s (the count used to reset on every start)', async (_, withHealth) => {
    expect(await crashLoop(withHealth, 4)).toEqual([1000, 2000, 4000, 8000]);
  });

  it(`forgets past failures once a start has stayed up ${STABLE_AFTER_MS / 1000} s`, async () => {
    // The third start runs "10 s" (the injected clock jumps) before it dies: back to 1 s.
    const delays = await crashLoop(true, 4, (count, clock) => {
      if (count === 3) clock.offset += STABLE_AFTER_MS;
    });
    expect(delays).toEqual([1000, 2000, 1000, 2000]);
  });
});

describe('standbyArgs', () => {
  it('puts the standby loader between node flags and the script', () => {
    expect(standbyArgs(['--enable-source-maps', 'src/main.ts', '--port=1'])).toEqual([
      '--enable-source-maps',
      expect.stringMatching(/standby\.mjs$/),
      'src/main.ts',
      '--port=1',
    ]);
    expect(() => standbyArgs(['--flag'])).toThrow(/needs a script/);
  });
});

describe('standby.mjs where an installed plugin keeps it (under node_modules)', () => {
  it("loads the TypeScript stripper before the service's code, without a .ts file of its own (Node refuses those under node_modules) and without a warning", () => {
    const workspace = tempDir('loa-standby-nm-');
    try {
      // The standby as @loa/plugin ships it, and a JavaScript service that reports what Node has loaded.
      const installed = join(workspace.path, 'node_modules/@loa/plugin/engine');
      mkdirSync(installed, { recursive: true });
      copyFileSync(join(import.meta.dirname, 'standby.mjs'), join(installed, 'standby.mjs'));
      writeFile(workspace.path, 'service.mjs', "console.log(JSON.stringify(process.moduleLoadList.some((m) => m.includes('amaro'))));\n");
      const result = spawnSync(process.execPath, [join(installed, 'standby.mjs'), 'service.mjs'], { cwd: workspace.path, input: 'go\n', encoding: 'utf8', timeout: 30_000 });
      expect({ status: result.status, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({ status: 0, stdout: 'true', stderr: '' });
    } finally {
      workspace.remove();
    }
  });
});

describe('ManagedProcess with a warm standby (real processes)', () => {
  let workspace: ReturnType<typeof tempDir>;
  let managed: ManagedProcess | undefined;
  let events: ProcessEvent[];
  let port: number;

  beforeEach(async () => {
    workspace = tempDir('loa-standby-');
    events = [];
    port = await freePort();
    writeService(workspace.path, 'svc', 'v1');
  });
  afterEach(async () => {
    await managed?.close();
    managed = undefined;
    workspace.remove();
  });

  const create = () =>
    new ManagedProcess(
      {
        name: 'svc',
        command: process.execPath,
        args: ['svc/service.mjs'],
        cwd: workspace.path,
        env: { ...process.env, NAME: 'svc', PORT: String(port) },
        health: { http: `http://127.0.0.1:${port}/health` },
        startTimeoutMs: 10_000,
        graceMs: 1000,
        standby: true,
      },
      { onLine: () => undefined, onEvent: (event) => events.push(event) },
    );
  const healthy = () => events.filter((event) => event.type === 'healthy').length;

  it('runs the code on disk at restart time, not at standby time, and leaves nothing behind on close', async () => {
    managed = create();
    managed.requestRestart(['start']);
    await waitFor('first healthy', () => healthy() === 1);
    const first = await getJson(`http://127.0.0.1:${port}/health`);
    expect(first).toMatchObject({ version: 'v1' });

    // The standby was booted after the first start; the edit lands after it. It must still serve v2.
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeService(workspace.path, 'svc', 'v2');
    managed.requestRestart(['svc/version.mjs']);
    await waitFor('second healthy', () => healthy() === 2);
    const second = await getJson(`http://127.0.0.1:${port}/health`);
    expect(second).toMatchObject({ version: 'v2' });
    expect(second!.pid).not.toBe(first!.pid);

    await waitFor('next standby booted', () => {
      const running = processesIn(workspace.path);
      return running.length >= 2 ? running : undefined;
    });
    await managed.close();
    managed = undefined;
    await waitFor('all gone', () => processesIn(workspace.path).length === 0, 5000);
    expect(processAlive(second!.pid as number)).toBe(false);
  });

  it('a standby whose supervisor vanishes exits by itself (its stdin closes)', async () => {
    const child = spawn(process.execPath, standbyArgs(['svc/service.mjs']), { cwd: workspace.path, stdio: ['pipe', 'ignore', 'ignore'] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processAlive(child.pid!)).toBe(true);
    child.stdin!.end();
    await waitFor('standby exit', () => !processAlive(child.pid!), 5000);
  });
});

/** Node processes whose working directory is the test workspace (current child and standby). */
function processesIn(cwd: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === cwd && processAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      /* gone, or not ours */
    }
  }
  return pids;
}

/**
 * A program that cannot be started (not executable, or a NUL byte in an argument) has no pid. Without
 * a health check it was reported healthy (pid -1), then execa's rejected promise killed the engine as
 * an "engine bug". It is a failed start, named, retried with backoff.
 */
describe('ManagedProcess: a program that cannot be started', () => {
  let workspace: ReturnType<typeof tempDir>;
  let managed: ManagedProcess | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    workspace = tempDir('loa-nostart-');
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await managed?.close();
    managed = undefined;
    process.off('unhandledRejection', onUnhandled);
    workspace.remove();
  });

  it.each([
    ['a file without the execute bit', (dir: string) => ({ command: `${dir}/script.sh`, args: [] }), /^could not start .*script\.sh: EACCES \(not executable: chmod \+x .*script\.sh, or fix the "command" of process "app"\) before it was healthy$/],
    ['a NUL byte in an argument', () => ({ command: '/bin/sh', args: ['-c', 'echo \0'] }), /^could not start \/bin\/sh: ERR_INVALID_ARG_VALUE \(an argument or an environment value holds a NUL byte\? .*\) before it was healthy$/],
  ])('%s: a failed start, not "healthy", and no unhandled rejection', async (_what, program, why) => {
    writeFile(workspace.path, 'script.sh', 'echo hi\n');
    const events: ProcessEvent[] = [];
    const { command, args } = program(workspace.path);
    managed = new ManagedProcess(
      { name: 'app', command, args, cwd: workspace.path, env: { PATH: process.env.PATH }, startTimeoutMs: 5000, graceMs: 500 },
      { onLine: () => undefined, onEvent: (event) => events.push(event) },
    );
    managed.requestRestart(['start']);
    await waitFor("the first event", () => events.length > 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events[0]).toMatchObject({ type: 'failed', name: 'app', retryInMs: 1000 });
    expect((events[0] as { why: string }).why).toMatch(why);
    expect(unhandled).toEqual([]);
  });

  it('a standby that cannot be started (the program went away after a healthy start) is dropped, with no unhandled rejection', async () => {
    writeFile(workspace.path, 'app.mjs', "setInterval(() => undefined, 1000);\n");
    const node = `${workspace.path}/node`;
    symlinkSync(process.execPath, node);
    const events: ProcessEvent[] = [];
    managed = new ManagedProcess(
      { name: 'app', command: node, args: ['app.mjs'], cwd: workspace.path, env: { PATH: process.env.PATH }, startTimeoutMs: 5000, graceMs: 500, standby: true },
      {
        onLine: () => undefined,
        // The standby is spawned right after this event: take its program away first (ENOENT, as EAGAIN would fail it).
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'healthy') unlinkSync(node);
        },
      },
    );
    managed.requestRestart(['start']);
    await waitFor('healthy', () => events.some((e) => e.type === 'healthy'), 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(unhandled).toEqual([]);
    // The next restart does not take the dead standby: it starts the program afresh and is healthy.
    symlinkSync(process.execPath, node);
    managed.requestRestart(['save']);
    await waitFor('healthy again', () => events.filter((e) => e.type === 'healthy').length >= 2 || events.some((e) => e.type !== 'healthy'), 10_000);
    expect(events.map((e) => e.type)).toEqual(['healthy', 'healthy']);
  });
});
