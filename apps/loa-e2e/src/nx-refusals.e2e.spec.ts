import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { copyTrackedFiles } from '../../../tools/testing/workspace-copy.ts';

/**
 * `nx run` as scripts and Makefiles call it, in a copy of the workspace: a dev target that refuses to
 * start must exit non-zero (Nx 23 reports a continuous task's exit 1 as success, so the executor leaves
 * with a code Nx maps to "stopped", exit 130), dev-clean must never delete the checkout, and a compose
 * file Compose rejects is one line, not a stack trace.
 */
const REPO = resolve(import.meta.dirname, '../../..');
let workspace: string;

function env(): NodeJS.ProcessEnv {
  const { NX_TASK_TARGET_PROJECT: _p, NX_TASK_TARGET_TARGET: _t, NX_TASK_HASH: _h, ...rest } = process.env;
  return { ...rest, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' };
}

/** Runs a command in the copy to its end (bounded: a refusal must not hang), with its exit status and output. */
function run(command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; output: string }> {
  const child = spawn(command, args, { cwd: workspace, env: { ...env(), ...extraEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  // If a refusal ever turned into a running dev loop: Ctrl+C, so the engine stops its process groups
  // (SIGKILL would orphan them), then SIGKILL; the test then fails on the status.
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, name);
    } catch {
      /* already gone */
    }
  };
  const timers = [setTimeout(() => signal('SIGINT'), 120_000), setTimeout(() => signal('SIGKILL'), 135_000)];
  const finish = (result: { status: number | null; output: string }) => {
    for (const timer of timers) clearTimeout(timer);
    return result;
  };
  return new Promise((done) => {
    child.once('error', (error) => done(finish({ status: null, output: `${output}${error.message}` })));
    child.once('close', (status) => done(finish({ status, output })));
  });
}

const npxNx = (...args: string[]) => run('npx', ['nx', ...args]);
const binNx = (...args: string[]) => run(join(REPO, 'node_modules/.bin/nx'), args);

function listen(port: number): Promise<Server> {
  const server = createServer();
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

beforeAll(() => {
  workspace = copyTrackedFiles(REPO, 'loa-refusals-');
  // A checkout, as users have one: dev-clean must leave .git alone.
  expect(spawnSync('git', ['init', '-q'], { cwd: workspace }).status).toBe(0);
  rmSync(join(workspace, '.env.local'), { force: true });
});

afterAll(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

describe('nx run loa:dev refusing to start exits non-zero', () => {
  it('no .env.local for the docker runtime (or no daemon): npx nx and nx alike', async () => {
    for (const result of [await npxNx('run', 'loa:dev', '--runtime=docker'), await binNx('run', 'loa:dev', '--runtime=docker')]) {
      expect({ status: result.status, error: /\[loa\] ERROR: (\.env\.local not found|the docker runtime cannot run)/.test(result.output) }).toEqual({ status: 130, error: true });
      expect(result.output).not.toContain('Successfully ran target dev');
    }
  });

  it('a Node older than the engine loads on: one line naming the version and the fix, and a non-zero exit (dev 130, deploy 1), not "Successfully ran"', async () => {
    // Node 20 as the executor sees it: execa 10 would fail at import there ("TEXT_ENCODINGS.union is not a function").
    const oldNode = join(workspace, 'old-node.mjs');
    writeFileSync(oldNode, 'Object.defineProperty(process.versions, "node", { value: "20.19.0" });\n');
    const asOldNode = { NODE_OPTIONS: `--import=${oldNode}` };
    const nxBin = join(REPO, 'node_modules/.bin/nx');
    const dev = await run(nxBin, ['run', 'loa:dev', '--runtime=native'], asOldNode);
    const deploy = await run(nxBin, ['run', 'loa:deploy', '--configuration=dry-run'], asOldNode);
    for (const [result, executor, status] of [[dev, 'dev', 130], [deploy, 'deploy-cf', 1]] as const) {
      expect({ status: result.status, line: result.output.includes(`[loa] ERROR: @loa/plugin:${executor} needs Node ≥ 22.22; this is Node 20.19.0 — install a newer Node`) }).toEqual({ status, line: true });
      expect(result.output).not.toMatch(/Successfully ran|TEXT_ENCODINGS/);
    }
  });

  it.each([
    ['--runtime=banana', [], '[loa] ERROR: runtime is "banana" — allowed: auto, native, docker'],
    ['--envFile=', ['--runtime=native'], '[loa] ERROR: envFile is "" — it cannot be empty'],
  ])('%s: refused by the executor, exit 130 (Nx\'s own schema check, which it reports as success for a continuous target, lets it through)', async (flag, others, line) => {
    const { status, output } = await binNx('run', 'loa:dev', ...others, flag);
    expect({ status, line: output.includes(line) }).toEqual({ status: 130, line: true });
    expect(output).not.toMatch(/Successfully ran|does not match the schema/);
  });

  it('an option out of range (Nx does not check minimum on integers)', async () => {
    const { status, output } = await npxNx('run', 'loa:dev', '--runtime=native', '--debounceMs=-5');
    expect({ status, line: output.includes('[loa] ERROR: debounceMs is -5 — it must be >= 0') }).toEqual({ status: 130, line: true });
  });

  it('the identity port taken by someone else', async () => {
    const server = await listen(0);
    const port = (server.address() as { port: number }).port;
    const projectFile = join(workspace, 'apps/loa/project.json');
    const original = readFileSync(projectFile, 'utf8');
    try {
      writeFileSync(projectFile, original.replaceAll('127.0.0.1:3000/health', `127.0.0.1:${port}/health`));
      const { status, output } = await npxNx('run', 'loa:dev', '--runtime=native');
      expect({ status, line: output.includes(`[loa] ERROR: port ${port} (127.0.0.1) is already in use`) }).toEqual({ status: 130, line: true });
    } finally {
      writeFileSync(projectFile, original);
      await new Promise((done) => server.close(done));
    }
  });
});

describe('nx run loa:dev-clean never deletes the checkout', () => {
  it.each(['--dataDir=', '--dataDir=.', '--dataDir=..'])('%s: refused, exit 1, .git and the sources still there', async (flag) => {
    const { status, output } = await npxNx('run', 'loa:dev-clean', '--runtime=native', flag);
    expect({ status, refused: /\[loa\] ERROR: dataDir .*nothing removed/.test(output) }).toEqual({ status: 1, refused: true });
    for (const path of ['.git', 'package.json', 'apps/loa/project.json', 'libs/plugin/src/executors/dev/dev.ts']) expect([path, existsSync(join(workspace, path))]).toEqual([path, true]);
  });
});

describe('a compose file Compose rejects', () => {
  it('dev-down says so in one line (no stack trace) and exits 1', async () => {
    const composeFile = join(workspace, 'docker-compose.dev.yml');
    const original = readFileSync(composeFile, 'utf8');
    try {
      writeFileSync(composeFile, 'services:\n  loa-dev:\n    image: loa-dev:local\n    ports: "not a list"\n');
      const { status, output } = await npxNx('run', 'loa:dev-down');
      expect(status).toBe(1);
      expect(output).toMatch(/\[loa\] ERROR: docker compose config failed \(exit \d+\): .+ — fix docker-compose\.dev\.yml\n/);
      expect(output).not.toMatch(/^\s+at /m);
    } finally {
      writeFileSync(composeFile, original);
    }
  });
});
