import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The real Worker (index.ts, with its bindings and secrets as workerd gives them) under `wrangler dev`,
 * containers off, loopback only: a secret set for the Worker reaches the check, and a missing one is
 * named in a 503 before any container is asked for. (The start with the secrets in the process's
 * environment needs a container: gateway.spec.ts covers it with a stand-in sandbox.)
 */
const REPO = resolve(import.meta.dirname, '../../../..');
const TOKEN = 'gw-token-wrangler-dev-7f3a';

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

describe('the Worker under wrangler dev, with one required secret missing', () => {
  let wrangler: ChildProcess | undefined;
  let dir: string;
  let base: string;
  let output = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loa-worker-'));
    // The secret comes from an env file, as `wrangler secret put` values do in production: never argv.
    writeFileSync(join(dir, 'secrets.env'), `OPENCLAW_GATEWAY_TOKEN=${TOKEN}\n`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    wrangler = spawn(
      process.execPath,
      [join(REPO, 'node_modules/wrangler/bin/wrangler.js'), 'dev', '--ip', '127.0.0.1', '--port', String(port), '--enable-containers=false', '--env-file', join(dir, 'secrets.env'), '--persist-to', join(dir, 'state')],
      { cwd: join(REPO, 'apps/loa/cloudflare'), env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    wrangler.stdout!.on('data', (chunk) => (output += chunk));
    wrangler.stderr!.on('data', (chunk) => (output += chunk));
    // Bounded: wrangler dev is up in a few seconds here.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const up = await fetch(`${base}/sandbox-health`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline || wrangler.exitCode !== null) throw new Error(`wrangler dev did not start:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    // wrangler runs workerd as a child: stop the whole group, or workerd outlives the test.
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (wrangler?.pid) {
        try {
          process.kill(-wrangler.pid, signal);
        } catch {
          /* already gone */
        }
      }
      if (signal === 'SIGTERM') await new Promise((r) => setTimeout(r, 500));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('/sandbox-health stays static', async () => {
    const response = await fetch(`${base}/sandbox-health`);
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { status: 'ok', service: 'moltbot-sandbox', gateway_port: 18789 } });
  });

  it('names only the missing secret (the one set was seen), in a 503 for the gateway and in /api/status, and never prints a value', async () => {
    const proxied = await fetch(`${base}/chat`);
    const body = (await proxied.json()) as { missing: string[]; error: string };
    expect({ status: proxied.status, missing: body.missing }).toEqual({ status: 503, missing: ['ANTHROPIC_API_KEY'] });
    expect(body.error).toMatch(/wrangler secret put ANTHROPIC_API_KEY/);

    const status = await fetch(`${base}/api/status`);
    const text = await status.text();
    expect(JSON.parse(text)).toMatchObject({ ok: false, status: 'misconfigured', missing: ['ANTHROPIC_API_KEY'] });
    expect(JSON.stringify(body) + text + output).not.toContain(TOKEN);
  });
});
