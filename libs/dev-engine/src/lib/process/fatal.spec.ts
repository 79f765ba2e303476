import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineBundle, freePort, getJson, processAlive, selfSignedCert, tempDir, waitFor, writeFile, writeIdentityOptions, writeService } from '../../testing/fixtures.ts';
import { isPortFree } from '../probe/health-probe.ts';
import { describeFatal } from './fatal.ts';

const CLI = join(import.meta.dirname, '../dev-engine/cli.ts');
const BIN = engineBundle();

/**
 * The engine dies of an error: its process groups (detached, so the kernel does not take them down
 * with it) must be stopped first, and it must exit non-zero with one line. Real engine processes,
 * real faults: a closed stdout, an uncaught exception, an unhandled rejection.
 */
describe('dev engine CLI: a fatal error leaves no process behind', () => {
  let workspace: ReturnType<typeof tempDir>;
  let engine: ChildProcess | undefined;
  let stdout: string;
  let stderr: string;
  const pidsSeen: number[] = [];

  beforeEach(() => {
    workspace = tempDir('loa-fatal-');
    stdout = '';
    stderr = '';
  });
  afterEach(() => {
    // Whatever happened, leave nothing running.
    if (engine?.pid && processAlive(engine.pid)) process.kill(-engine.pid, 'SIGKILL');
    for (const pid of pidsSeen.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    engine = undefined;
    workspace.remove();
  });

  function writeOptions(port: number, health: string, service = 'identity/service.mjs'): void {
    writeIdentityOptions(workspace.path, port, { shell: `node ${service} & wait`, health });
  }

  function startCli(nodeArgs: string[] = []): ChildProcess {
    const child = spawn(process.execPath, [...nodeArgs, CLI, '--options', 'options.json', '--root', workspace.path], {
      cwd: workspace.path,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    engine = child;
    return child;
  }

  const exitOf = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

  async function serviceRunning(url: string): Promise<number> {
    await waitFor('ready', () => stdout.includes('ready in'), 20_000);
    const health = await getJson(url);
    const pid = health!.pid as number;
    pidsSeen.push(pid);
    expect(processAlive(pid)).toBe(true);
    return pid;
  }

  async function expectEverythingStopped(child: ChildProcess, pid: number, port: number, message: RegExp): Promise<void> {
    expect(await exitOf(child)).toBe(1);
    expect(processAlive(pid)).toBe(false);
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
    const errorLines = stderr.split('\n').filter(Boolean);
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m);
  }

  it("EPIPE on stdout (`loa-dev-engine … | head -2`, the engine's build output): stops every group, one line on stderr, exit 1", async () => {
    const port = await freePort();
    writeService(workspace.path, 'identity', 'v1');
    writeIdentityOptions(workspace.path, port, { shell: 'echo $$ > group.pid; node identity/service.mjs & echo $! > service.pid; wait' });
    // The report's repro as it is: head takes two lines and exits; the engine's next line hits a closed pipe.
    const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" --options options.json --root . | head -2`], {
      cwd: workspace.path,
      detached: true,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    engine = child;
    expect(await exitOf(child)).toBe(1);
    expect(stdout.trim().split('\n')).toHaveLength(2);
    const pids = ['group.pid', 'service.pid'].map((file) => Number(readFileSync(join(workspace.path, file), 'utf8')));
    pidsSeen.push(...pids);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
    const errorLines = stderr.split('\n').filter(Boolean);
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^\[loa\] ERROR: the engine's stdout was closed \(EPIPE.*every process it started was stopped — run it without that pipe/);
  });

  it.each([
    ['an uncaught exception', "throw new Error('induced fault')", /^\[loa\] ERROR: the dev engine failed \(uncaught exception: Error: induced fault\); every process it started was stopped/],
    ['an unhandled rejection', "Promise.reject(new Error('induced rejection'))", /^\[loa\] ERROR: the dev engine failed \(unhandled rejection: Error: induced rejection\); every process it started was stopped/],
  ])('%s in the engine: stops every group first, one line on stderr, exit 1', async (_, fault, message) => {
    const port = await freePort();
    writeService(workspace.path, 'identity', 'v1');
    writeOptions(port, `http://127.0.0.1:${port}/health`);
    // Loaded into the engine's own process: the fault fires in its event loop once it is ready.
    writeFile(
      workspace.path,
      'fault.mjs',
      `const write = process.stdout.write.bind(process.stdout);\n` +
        `let armed = true;\n` +
        `process.stdout.write = (chunk, ...rest) => {\n` +
        `  const result = write(chunk, ...rest);\n` +
        `  if (armed && String(chunk).includes('ready in')) { armed = false; setTimeout(() => { ${fault}; }, 100); }\n` +
        `  return result;\n` +
        `};\n`,
    );
    const child = startCli(['--import', join(workspace.path, 'fault.mjs')]);
    const pid = await serviceRunning(`http://127.0.0.1:${port}/health`);
    await expectEverythingStopped(child, pid, port, message);
  });

  it('probes an https health URL (self-signed, loopback) instead of dying of it', async () => {
    const port = await freePort();
    const tls = selfSignedCert(workspace.path);
    writeFile(workspace.path, 'identity/tls.json', JSON.stringify(tls));
    writeFile(
      workspace.path,
      'identity/https-service.mjs',
      "import { createServer } from 'node:https';\nimport { readFileSync } from 'node:fs';\n" +
        "const server = createServer(JSON.parse(readFileSync('identity/tls.json', 'utf8')), (request, response) => {\n" +
        "  response.setHeader('content-type', 'application/json');\n" +
        '  response.end(JSON.stringify({ ok: true, pid: process.pid }));\n' +
        '});\n' +
        "server.listen(Number(process.env.PORT), '127.0.0.1');\n" +
        "process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });\n",
    );
    writeOptions(port, `https://127.0.0.1:${port}/health`, 'identity/https-service.mjs');
    const child = startCli();
    await waitFor('ready', () => stdout.includes('ready in') || child.exitCode !== null, 20_000);
    expect(stdout).toMatch(/identity healthy in \d+ ms \(pid \d+, JSON ok\)/);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(143);
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
  });
});

describe('describeFatal', () => {
  it('is one line without the stack, naming the fix for a closed pipe', () => {
    const error = Object.assign(new Error('first line\nsecond line'), { stack: 'Error: first line\n    at x (y.ts:1:1)' });
    expect(describeFatal(error, 'uncaught exception')).toBe(
      'the dev engine failed (uncaught exception: Error: first line); every process it started was stopped — this is a bug in the engine, please report it with this line',
    );
    expect(describeFatal(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), 'stdout')).toMatch(/^the engine's stdout was closed \(EPIPE/);
    // Redirected into a file that cannot grow (ulimit -f, a full disk): not "the reader exited".
    expect(describeFatal(Object.assign(new Error('write EFBIG'), { code: 'EFBIG' }), 'stdout')).toBe(
      "the engine's stdout cannot be written (EFBIG: the file size limit, ulimit -f); every process it started was stopped — free space or raise the limit, or send the output elsewhere",
    );
    expect(describeFatal(Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' }), 'stdout')).toMatch(/^the engine's stdout cannot be written \(ENOSPC: the disk is full\)/);
  });
});
