import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, tempDir, waitFor, writeFile } from '../../testing/fixtures.ts';

const CLI = join(import.meta.dirname, 'cli.ts');

/** The engine stopped by Ctrl+C, a real engine process and real signals. */
describe('dev engine CLI: stopping', () => {
  let workspace: ReturnType<typeof tempDir>;
  let engine: ChildProcess | undefined;
  let stdout: string;
  beforeEach(() => {
    workspace = tempDir('loa-stop-');
    stdout = '';
  });
  const leftovers: number[] = [];
  afterEach(() => {
    if (engine?.pid && processAlive(engine.pid)) process.kill(-engine.pid, 'SIGKILL');
    for (const pid of leftovers.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    // Whatever happened, leave none of the (detached) children running.
    for (const file of readdirSync(workspace.path).filter((name) => name.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(workspace.path, file), 'utf8'));
      if (pid > 0 && processAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    engine = undefined;
    workspace.remove();
  });

  function startCli(options: object): ChildProcess {
    writeFile(workspace.path, 'options.json', JSON.stringify(options));
    const child = spawn(process.execPath, [CLI, '--options', 'options.json', '--root', workspace.path], { cwd: workspace.path, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    engine = child;
    return child;
  }

  const exitOf = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

  /** Writes its pid, then ignores SIGTERM and SIGINT: only SIGKILL ends it. */
  const stubborn = { name: 'stubborn', command: 'sh', args: ['-c', "echo $$ > stubborn.pid; trap '' TERM INT; while :; do sleep 0.2; done"] };

  it('with no rules (nothing to watch) Ctrl+C still exits 130: the exit code was lost (0) while it waited for a watcher that never became ready', async () => {
    const child = startCli({ processes: [{ name: 'sleeper', command: 'sh', args: ['-c', 'echo $$ > sleeper.pid; exec sleep 300'] }], rules: [] });
    await waitFor('ready', () => stdout.includes('ready in'), 20_000);
    await waitFor('the watch line', () => stdout.includes('[loa] watching'), 5_000);
    expect(stdout).toContain('[loa] watching nothing: no rule names a file (the "rules" option is empty)');
    child.kill('SIGINT');
    expect(await exitOf(child)).toBe(130);
  });

  it('a second Ctrl+C while stopping kills at once instead of waiting out graceMs, and still exits 130', async () => {
    const child = startCli({ processes: [stubborn], rules: [], graceMs: 60_000 });
    await waitFor('ready', () => stdout.includes('ready in'), 20_000);
    const pid = await waitFor('the pid file', () => {
      try {
        return Number(readFileSync(join(workspace.path, 'stubborn.pid'), 'utf8')) || false;
      } catch {
        return false;
      }
    }, 5_000);
    child.kill('SIGINT');
    await waitFor('stopping', () => stdout.includes('stopping (SIGINT)'), 5_000);
    const started = Date.now();
    child.kill('SIGINT');
    expect(await exitOf(child)).toBe(130);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stdout).toContain('[loa] SIGINT again: killing every process now (SIGKILL)');
    expect(stdout).toContain('[loa] stopped; every process has exited');
    expect(processAlive(pid)).toBe(false);
  });

  it('stops every process when its parent is killed outright (nx killed with SIGKILL sends no signal): nothing keeps running or holds a port', async () => {
    // The engine's parent is a shell that is then killed with SIGKILL, as `kill -9 <nx>` leaves nx's task.
    writeFile(workspace.path, 'options.json', JSON.stringify({ processes: [{ name: 'sleeper', command: 'sh', args: ['-c', 'echo $$ > sleeper.pid; exec sleep 300'] }], rules: [] }));
    const parent = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" --options options.json --root . > engine.log 2>&1 & echo $! > engine.pid; wait`], { cwd: workspace.path, detached: true, stdio: 'ignore' });
    engine = parent;
    const read = (file: string) => {
      try {
        return Number(readFileSync(join(workspace.path, file), 'utf8')) || false;
      } catch {
        return false;
      }
    };
    const sleeper = await waitFor('the service', () => read('sleeper.pid'), 20_000);
    const enginePid = await waitFor('the engine pid', () => read('engine.pid'), 5_000);
    process.kill(parent.pid!, 'SIGKILL');
    await waitFor('the engine to stop on its own', () => !processAlive(enginePid), 10_000, () => readFileSync(join(workspace.path, 'engine.log'), 'utf8'));
    await waitFor('its service to be stopped', () => !processAlive(sleeper), 5_000);
    expect(readFileSync(join(workspace.path, 'engine.log'), 'utf8')).toContain('[loa] stopped; every process has exited');
  });

  it('an engine killed outright (SIGKILL: nothing of it runs) leaves its service running; the next engine in the workspace stops it, says so, and starts', async () => {
    const options = { processes: [{ name: 'sleeper', command: 'sh', args: ['-c', 'echo $$ > sleeper.pid; exec sleep 300'] }], rules: [] };
    const first = startCli(options);
    await waitFor('ready', () => stdout.includes('ready in'), 20_000);
    const read = () => Number(readFileSync(join(workspace.path, 'sleeper.pid'), 'utf8'));
    const leftover = read();
    process.kill(first.pid!, 'SIGKILL');
    await exitOf(first);
    expect(processAlive(leftover)).toBe(true);

    // Even when this test fails: the leftover is ours to kill (afterEach only reads the newest pid file).
    leftovers.push(leftover);
    stdout = '';
    const second = startCli(options);
    await waitFor('ready', () => stdout.includes('ready in'), 20_000);
    expect(stdout).toMatch(new RegExp(`\\[loa\\] stopped 1 process group\\(s\\) \\(${leftover}\\) that an engine killed outright \\(pid ${first.pid}\\) left running`));
    expect(processAlive(leftover)).toBe(false);
    expect(read()).not.toBe(leftover);
    second.kill('SIGINT');
    expect(await exitOf(second)).toBe(130);
    // A clean stop leaves no ledger behind.
    expect(readdirSync(join(workspace.path, '.loa/engines'))).toEqual([]);
  });
});
