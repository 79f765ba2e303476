import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort } from '../../../../dev-engine/src/testing/fixtures.ts';
import { runSmoke } from './smoke.ts';

/**
 * The smoke executor against the real Worker (apps/loa/cloudflare) under `wrangler dev`, containers off,
 * loopback only. The Worker's folder is used by path: the deployment does not depend on the plugin.
 */
const REPO = resolve(import.meta.dirname, '../../../../..');

describe('the Worker under wrangler dev', () => {
  let wrangler: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    // wrangler runs workerd as a child: stop the whole group, or workerd outlives the test.
    if (wrangler?.pid) {
      try {
        process.kill(-wrangler.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await new Promise((r) => setTimeout(r, 500));
      try {
        process.kill(-wrangler.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });

  it('serves /sandbox-health, and the smoke executor passes it (retrying while wrangler starts)', async () => {
    const port = await freePort();
    wrangler = spawn(join(REPO, 'node_modules/.bin/wrangler'), ['dev', '--ip', '127.0.0.1', '--port', String(port), '--enable-containers=false'], {
      cwd: join(REPO, 'apps/loa/cloudflare'),
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    wrangler.stdout!.on('data', (chunk) => (output += chunk));
    wrangler.stderr!.on('data', (chunk) => (output += chunk));

    const lines: string[] = [];
    const code = await runSmoke(
      { url: `http://localhost:${port}/sandbox-health`, attempts: 30, delaySeconds: 0.1, timeoutSeconds: 5, expectStatus: 200, expectJson: { status: 'ok', gateway_port: 18789 } },
      (line) => lines.push(line),
    );
    expect({ code, last: lines.at(-1), output: code === 0 ? '' : output.slice(-2000) }).toEqual({
      code: 0,
      last: `[smoke] smoke test passed: http://localhost:${port}/sandbox-health`,
      output: '',
    });

    // /api/status tells the truth here: no container, so not ok — and the smoke check says so.
    const status: string[] = [];
    expect(await runSmoke({ url: `http://localhost:${port}/api/status`, attempts: 1, delaySeconds: 0, timeoutSeconds: 5, expectStatus: 200, expectJson: { ok: true } }, (l) => status.push(l))).toBe(1);
    expect(status.at(-1)).toMatch(/ok is false \(expected true\)/);
  });
});
