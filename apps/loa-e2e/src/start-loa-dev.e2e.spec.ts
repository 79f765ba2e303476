import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { processAlive } from '../../../libs/dev-engine/src/testing/fixtures.ts';

/**
 * start-loa-dev.sh's last fallback, on the host: with no engine and no reload it still runs identity,
 * says so, and stops its children on SIGTERM. (The engine path and the entr loop run in the container:
 * docker.e2e.spec.ts and `npm run bench:docker`.)
 */
const REPO = resolve(import.meta.dirname, '../../..');
const SCRIPT = join(REPO, 'apps/loa/docker/start-loa-dev.sh');

describe('start-loa-dev.sh without the engine', () => {
  let workspace: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'loa-start-'));
    for (const path of ['libs/loa-identity', '.claude/lib', 'grimoires']) cpSync(join(REPO, path), join(workspace, path), { recursive: true });
  });
  afterEach(() => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    rmSync(workspace, { recursive: true, force: true });
  });

  it('runs identity once, says there is no reload, and stops it on SIGTERM', async () => {
    const port = 3000 + Math.floor(Math.random() * 1000) + 20000;
    child = spawn('bash', [SCRIPT], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}`,
        LOA_WORKSPACE_ROOT: workspace,
        LOA_RELOAD: 'none',
        LOA_DATA_DIR: join(workspace, 'data'),
        LOA_WORKSPACE_DIR: join(workspace, 'ws'),
        LOA_IDENTITY_PORT: String(port),
        LOA_GATEWAY_BIN: '',
      },
    });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    let body: { ok?: boolean; pid?: number } | undefined;
    for (let i = 0; i < 200 && !body; i += 1) {
      body = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<{ ok: boolean; pid: number }>, () => undefined);
      if (!body) await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toMatchObject({ ok: true });
    expect(output).toContain('no hot reload (no engine, no entr): changes need a container restart');

    process.kill(child.pid!, 'SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    for (let i = 0; i < 40 && processAlive(body!.pid!); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(processAlive(body!.pid!)).toBe(false);
  });
});
