import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, getJson, processAlive, tempDir, waitFor, writeFile, writeIdentityOptions, writeService } from '../../testing/fixtures.ts';
import { isPortFree } from '../probe/health-probe.ts';

const CLI = join(import.meta.dirname, 'cli.ts');

/** Ctrl+C for real: the engine runs as its own program and gets the signal a terminal would send. */
describe('dev engine CLI: signals and the process tree', () => {
  let workspace: ReturnType<typeof tempDir>;
  let engine: ChildProcess | undefined;
  let output: string;
  const pidsSeen: number[] = [];

  beforeEach(() => {
    workspace = tempDir('loa-cli-');
    output = '';
  });
  afterEach(() => {
    // Whatever happened, leave nothing running.
    if (engine?.pid && processAlive(engine.pid)) process.kill(-engine.pid, 'SIGKILL');
    for (const pid of pidsSeen.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    engine = undefined;
    workspace.remove();
  });

  async function startCli(port: number): Promise<ChildProcess> {
    writeService(workspace.path, 'identity', 'v1');
    // `sh` leads the group and node is its child: stopping must reach the grandchild too.
    writeIdentityOptions(workspace.path, port);
    const child = spawn(process.execPath, [CLI, '--options', 'options.json', '--root', workspace.path], {
      cwd: workspace.path,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    engine = child;
    await waitFor('ready', () => output.includes('ready in'), 20_000);
    return child;
  }

  const exitOf = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('on %s stops the whole process tree, frees the port and exits %i', async (signal, code) => {
    const port = await freePort();
    const child = await startCli(port);
    const health = await getJson(`http://127.0.0.1:${port}/health`);
    const grandchild = health!.pid as number;
    pidsSeen.push(grandchild);
    expect(processAlive(grandchild)).toBe(true);

    child.kill(signal);
    expect(await exitOf(child)).toBe(code);
    expect(output).toContain(`stopping (${signal})`);
    expect(output).toContain('stopped; every process has exited');
    expect(processAlive(grandchild)).toBe(false);
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
  });

  it('exits 1 with the reason when the options are invalid', async () => {
    writeFile(workspace.path, 'options.json', JSON.stringify({ processes: [] }));
    const child = spawn(process.execPath, [CLI, '--options', 'options.json', '--root', workspace.path], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    expect(await exitOf(child)).toBe(1);
    expect(output).toContain('[loa] ERROR: no processes configured');
  });
});
