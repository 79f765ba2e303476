import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { isPortFree } from '../../../libs/dev-engine/src/testing/fixtures.ts';
import { copyWorkspace, projectContainers, removeDockerState, type WorkspaceCopy } from '../../../tools/testing/workspace-copy.ts';

/**
 * The docker runtime end to end, against a real engine: `nx run loa:image:ci` with the base fallback,
 * `nx run loa:dev:ci` up and healthy, a host edit reloaded inside the container, the WAL surviving an
 * identity crash, a container restart and down + up, dev-clean wiping it, and no .env.local secret in
 * any output. Runs in a copy of the workspace with its own compose project and volume; everything it
 * made is removed in afterAll, also when a test fails.
 */
const REPO = resolve(import.meta.dirname, '../../..');
const SECRET = 'sk-ant-e2e-SECRET-must-never-print-7f3a';
const TOKEN = 'gateway-token-e2e-9c1d';
const HEALTH = 'http://127.0.0.1:3000/health';
let copy: WorkspaceCopy;
let workspace: string;
let VOLUME: string;
let PROJECT: string;
const outputs: string[] = [];
let dev: { child: ChildProcess; output: () => string } | undefined;

function sh(command: string, args: string[], options: { cwd?: string; allowFail?: boolean } = {}) {
  const result = spawnSync(command, args, { cwd: options.cwd ?? workspace, encoding: 'utf8', env: e2eEnv(), timeout: 600_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  outputs.push(output);
  if (!options.allowFail && result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${output.slice(-3000)}`);
  return { status: result.status, output };
}

function e2eEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', COMPOSE_PROJECT_NAME: PROJECT, CI: 'true' };
}

const nx = (...args: string[]) => sh(join(REPO, 'node_modules/.bin/nx'), args);

function startDev(target = 'loa:dev:ci') {
  let output = '';
  const child = spawn(join(REPO, 'node_modules/.bin/nx'), ['run', target], { cwd: workspace, env: e2eEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  dev = { child, output: () => output };
  return dev;
}

/** Ctrl+C as a terminal sends it: to the whole foreground process group. */
async function stopDev(): Promise<void> {
  if (!dev) return;
  const { child, output } = dev;
  dev = undefined;
  if (child.exitCode === null) {
    process.kill(-child.pid!, 'SIGINT');
    await new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  }
  outputs.push(output());
  await waitFor('containers removed', async () => !containerIds().length, 60_000);
}

const containerIds = () => projectContainers(PROJECT);

const volumeExists = () => spawnSync('docker', ['volume', 'inspect', VOLUME]).status === 0;

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${dev?.output().slice(-3000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function health(): Promise<{ version: string; pid: number; starts: number; walSeq: number } | undefined> {
  try {
    const response = await fetch(HEALTH, { signal: AbortSignal.timeout(1000) });
    return response.ok ? ((await response.json()) as { version: string; pid: number; starts: number; walSeq: number }) : undefined;
  } catch {
    return undefined;
  }
}

async function upAndReady(target = 'loa:dev:ci') {
  const started = startDev(target);
  await waitFor('the container ready line', () => /container ready in \d+ ms/.test(started.output()));
  return waitFor('identity health from the host', health);
}

beforeAll(async () => {
  // The compose file users run publishes 3000 and 18789 on this host; another listener there (a native
  // `nx run loa:dev`, say) would fail the suite late and obscurely. (sh has no /dev/tcp: ask Node.)
  for (const port of [3000, 18789]) {
    if (!(await isPortFree('127.0.0.1', port))) throw new Error(`port ${port} on this host is in use: stop what listens there before running the e2e suite`);
  }
  copy = copyWorkspace(REPO, { envLocal: `ANTHROPIC_API_KEY=${SECRET}\nOPENCLAW_GATEWAY_TOKEN=${TOKEN}\n` });
  ({ dir: workspace, volume: VOLUME, project: PROJECT } = copy);
});

afterAll(async () => {
  await stopDev().catch(() => undefined);
  if (!copy) return;
  removeDockerState(copy);
  rmSync(workspace, { recursive: true, force: true });
});

describe('docker runtime, end to end', () => {
  it('builds the dev image, falling back to building the production Dockerfile as its base', () => {
    const { output } = nx('run', 'loa:image:ci');
    expect(output).toContain('[loa] base ghcr.io/0xhoneyjar/loa-beauvoir:main: not local; pulling');
    expect(output).toMatch(/cannot be pulled; building the production Dockerfile as loa-base:local \(BASE_IMAGE=loa-offline-base:bookworm\)/);
    expect(output).toMatch(/\[loa\] loa-dev:local: \d+ MB; [\d.]+ MB over its base loa-base:local \(\d+ MB\); budget 60 MB; built in/);
  });

  it('refuses to start without .env.local, with the seed\'s message', () => {
    renameSync(join(workspace, '.env.local'), join(workspace, '.env.local.off'));
    try {
      // Nx reports a continuous target that ends as done whatever its exit code; the message is the contract.
      const { output } = sh(join(REPO, 'node_modules/.bin/nx'), ['run', 'loa:dev:ci'], { allowFail: true });
      expect(output).toContain('[loa] ERROR: .env.local not found. Copy from .env.local.example');
      expect(containerIds()).toEqual([]);
    } finally {
      renameSync(join(workspace, '.env.local.off'), join(workspace, '.env.local'));
    }
  });

  it('refuses to start when a published port is taken, naming the port, before any container exists', async () => {
    // The file users run (ports published, no CI override): the preflight reads its merged config.
    const squatter = createServer();
    await new Promise<void>((resolvePromise, reject) => {
      squatter.once('error', reject); // a port taken since beforeAll fails here, not after the test's time-out
      squatter.listen(3000, '127.0.0.1', resolvePromise);
    });
    try {
      const { output } = sh(join(REPO, 'node_modules/.bin/nx'), ['run', 'loa:dev', '--runtime=docker'], { allowFail: true });
      expect(output).toContain('[loa] ERROR: port 3000 is already in use — stop what is listening there (lsof -i :3000), or `npx nx run loa:dev-down` if it is an earlier loa-dev');
      expect(containerIds()).toEqual([]);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('runs dev in compose, healthy, and reloads identity inside the container on a host save', async () => {
    const first = await upAndReady();
    expect(first.starts).toBe(1);
    expect(dev!.output()).toContain('[loa] runtime: docker (--runtime=docker)');
    // The secret reached the container (read here directly, not through any output the suite checks).
    const inside = spawnSync('docker', ['compose', '-p', PROJECT, '-f', 'docker-compose.dev.yml', '-f', 'tools/docker/compose.ci.yml', 'exec', '-T', 'loa-dev', 'printenv', 'ANTHROPIC_API_KEY'], { cwd: workspace, encoding: 'utf8' });
    expect(inside.stdout.trim()).toBe(SECRET);

    writeFileSync(join(workspace, 'libs/loa-identity/src/version.ts'), "export const VERSION = 'from-the-host';\n");
    const reloaded = await waitFor('the edit served from the container', async () => {
      const body = await health();
      return body?.version === 'from-the-host' ? body : undefined;
    });
    expect(reloaded.starts).toBe(2);
    await waitFor('the reload line', () => /\[loa\] reloaded identity in \d+ ms — libs\/loa-identity\/src\/version\.ts/.test(dev!.output()));
  });

  it('runs the real gateway, which reads SOUL.md where identity writes it; a BEAUVOIR.md save reaches it without a restart', async () => {
    // The gateway's own view of its agent's SOUL.md (the CLI takes the token from the container's environment).
    const soulSeenByGateway = () => {
      const call = sh('docker', ['compose', '-p', PROJECT, '-f', 'docker-compose.dev.yml', '-f', 'tools/docker/compose.ci.yml', 'exec', '-T', 'loa-dev', 'openclaw', 'gateway', 'call', 'agents.files.get', '--port', '18789', '--json', '--params', '{"agentId":"main","name":"SOUL.md"}']);
      return JSON.parse(call.output.slice(call.output.indexOf('{'))) as { workspace: string; file: { content: string } };
    };
    const gatewayHealth = await waitFor('the gateway /health', () => fetch('http://127.0.0.1:18789/health').then((r) => r.json() as Promise<{ ok: boolean }>, () => undefined));
    expect(gatewayHealth.ok).toBe(true);
    const before = soulSeenByGateway();
    expect(before.workspace).toBe('/data/workspace'); // LOA_WORKSPACE_DIR in the compose file
    expect(before.file.content).toContain('generated from grimoires/loa/BEAUVOIR.md by loa-identity');

    const marker = `persona edited on the host ${Date.now()}`;
    writeFileSync(join(workspace, 'grimoires/loa/BEAUVOIR.md'), `# Beauvoir\n\n${marker}\n`);
    await waitFor('the persona line', () => /persona updated: new gateway sessions use the new SOUL\.md.* — grimoires\/loa\/BEAUVOIR\.md/.test(dev!.output()));
    await waitFor('the new SOUL.md seen by the gateway', () => soulSeenByGateway().file.content.includes(marker));
    expect(dev!.output()).not.toMatch(/reloaded gateway in/);
  });

  it('keeps the WAL through an identity crash and a container restart', async () => {
    const before = (await health())!;
    sh('docker', ['compose', '-p', PROJECT, '-f', 'docker-compose.dev.yml', '-f', 'tools/docker/compose.ci.yml', 'exec', '-T', 'loa-dev', 'bash', '-c', `kill -9 ${before.pid}`]);
    const afterCrash = await waitFor('identity back after the crash', async () => {
      const body = await health();
      return body && body.pid !== before.pid ? body : undefined;
    });
    expect(afterCrash.starts).toBe(before.starts + 1);
    expect(afterCrash.walSeq).toBeGreaterThan(before.walSeq);
    expect(dev!.output()).toMatch(/identity crashed \(killed by SIGKILL\)/);

    sh('docker', ['compose', '-p', PROJECT, '-f', 'docker-compose.dev.yml', '-f', 'tools/docker/compose.ci.yml', 'restart', 'loa-dev']);
    const afterRestart = await waitFor('identity back after the container restart', async () => {
      const body = await health();
      return body && body.starts === afterCrash.starts + 1 ? body : undefined;
    });
    expect(afterRestart.walSeq).toBeGreaterThan(afterCrash.walSeq);
  });

  it('dev-logs follows the running container', async () => {
    let output = '';
    const logs = spawn(join(REPO, 'node_modules/.bin/nx'), ['run', 'loa:dev-logs:ci'], { cwd: workspace, env: e2eEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    logs.stdout!.on('data', (chunk) => (output += chunk));
    logs.stderr!.on('data', (chunk) => (output += chunk));
    try {
      await waitFor('the engine lines in the logs', () => output.includes('[loa] ready in'), 60_000);
    } finally {
      process.kill(-logs.pid!, 'SIGINT');
      await new Promise((r) => logs.once('exit', r));
      outputs.push(output);
    }
    expect(containerIds().length).toBe(1); // following the logs never stops the container
  });

  it('Ctrl+C stops and removes the containers but keeps the data volume; up again replays the WAL', async () => {
    const before = (await health())!;
    await stopDev();
    expect(containerIds()).toEqual([]);
    expect(volumeExists()).toBe(true);

    const again = await upAndReady();
    expect(again.starts).toBe(before.starts + 1);

    // dev-down from another terminal: the session ends, the containers go, the volume stays.
    const { output } = nx('run', 'loa:dev-down:ci');
    expect(output).toContain(`[loa] stopped; data volume ${VOLUME} kept`);
    expect(containerIds()).toEqual([]);
    expect(volumeExists()).toBe(true);
    await stopDev();
  });

  it('dev-clean removes the data volume and says so; the next start begins a new WAL', async () => {
    const { output } = nx('run', 'loa:dev-clean:ci');
    expect(output).toContain(`[loa] removed the containers and the data volume ${VOLUME} (WAL, SOUL.md)`);
    expect(volumeExists()).toBe(false);

    const fresh = await upAndReady();
    expect(fresh.starts).toBe(1);
    await stopDev();
  });

  it('no output showed a secret from .env.local', () => {
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(TOKEN);
  });
});
