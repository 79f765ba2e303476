import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_PORT, GATEWAY_START_TIMEOUT_MS, START_COMMAND, handleRequest, type GatewaySandbox, type SandboxProcess } from './gateway.ts';
import { SECRET_NAMES, type WorkerSecrets } from './secrets.ts';

/** A stand-in for the container at the sandbox SDK's interface: the one part that cannot run here. */
class FakeSandbox implements GatewaySandbox {
  processes: SandboxProcess[] = [];
  started: Array<{ command: string; env?: Record<string, string>; waitedFor?: { port: number; timeout?: number } }> = [];
  fetched: Array<{ url: string; port: number }> = [];
  gatewayAnswers = true;
  startFails = false;

  async listProcesses() {
    return this.processes;
  }
  async startProcess(command: string, options?: { env?: Record<string, string> }) {
    const process: SandboxProcess = { id: 'loa-gateway', command, status: 'running' };
    const record: (typeof this.started)[number] = { command, env: options?.env };
    this.started.push(record);
    return {
      ...process,
      waitForPort: async (port: number, options?: { timeout?: number }) => {
        record.waitedFor = { port, timeout: options?.timeout };
        if (this.startFails) throw new Error('process exited before port 18789 was ready');
        this.processes.push(process);
      },
    };
  }
  async containerFetch(request: Request, port: number) {
    this.fetched.push({ url: request.url, port });
    if (!this.gatewayAnswers) throw new Error('connection refused');
    return new Response(`gateway saw ${new URL(request.url).pathname}`, { status: 200 });
  }
}

/** What a deployment with its two required secrets set has (values are made up). */
const SECRETS: WorkerSecrets = { OPENCLAW_GATEWAY_TOKEN: 'gw-token-123', ANTHROPIC_API_KEY: 'sk-ant-test-456' };
const get = (path: string, sandbox: FakeSandbox, secrets: WorkerSecrets = SECRETS) =>
  handleRequest(new Request(`https://loa-beauvoir.example.workers.dev${path}`), () => sandbox, secrets);

describe('Worker routes', () => {
  it('/sandbox-health is static and never touches the container', async () => {
    const sandbox = new FakeSandbox();
    let created = 0;
    // Even with no secrets at all: it proves the Worker deployed, nothing more.
    for (const secrets of [SECRETS, {}]) {
      const response = await handleRequest(new Request('https://w.dev/sandbox-health'), () => (created++, sandbox), secrets);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', service: 'moltbot-sandbox', gateway_port: 18789 });
    }
    expect(created).toBe(0);
  });

  it('/api/status reports not_running when the start script is not running', async () => {
    expect(await (await get('/api/status', new FakeSandbox())).json()).toEqual({ ok: false, status: 'not_running' });
  });

  it('/api/status starts a gateway that is not running in the background (after a full deploy nothing else would), and says so', async () => {
    const sandbox = new FakeSandbox();
    const work: Array<Promise<unknown>> = [];
    const status = (secrets: WorkerSecrets = SECRETS) => handleRequest(new Request('https://w.dev/api/status'), () => sandbox, secrets, (promise) => work.push(promise));
    // The answer does not wait for the start (up to 180 s): it says it began one.
    expect(await (await status()).json()).toEqual({ ok: false, status: 'starting' });
    expect(work).toHaveLength(1);
    await Promise.all(work);
    expect(sandbox.started).toEqual([{ command: START_COMMAND, env: SECRETS, waitedFor: { port: GATEWAY_PORT, timeout: GATEWAY_START_TIMEOUT_MS } }]);
    // The smoke test's next attempt sees it running, and nothing is started twice.
    expect(await (await status()).json()).toEqual({ ok: true, status: 'running', processId: 'loa-gateway' });
    expect(sandbox.started).toHaveLength(1);
    // A start that fails is reported by later calls (not_running again), never thrown at the Worker.
    const failing = new FakeSandbox();
    failing.startFails = true;
    const pending: Array<Promise<unknown>> = [];
    await handleRequest(new Request('https://w.dev/api/status'), () => failing, SECRETS, (promise) => pending.push(promise));
    await expect(Promise.all(pending)).resolves.toBeDefined();
  });

  it('/api/status asks the gateway: running when it answers, not_responding when it does not', async () => {
    const sandbox = new FakeSandbox();
    sandbox.processes = [{ id: 'p1', command: `bash ${START_COMMAND}`, status: 'running' }];
    expect(await (await get('/api/status', sandbox)).json()).toEqual({ ok: true, status: 'running', processId: 'p1' });
    expect(sandbox.fetched).toEqual([{ url: 'http://container/health', port: GATEWAY_PORT }]);
    sandbox.gatewayAnswers = false;
    expect(await (await get('/api/status', sandbox)).json()).toEqual({ ok: false, status: 'not_responding', processId: 'p1' });
  });

  it('/api/status reports an error from the sandbox instead of throwing', async () => {
    const sandbox = new FakeSandbox();
    sandbox.listProcesses = async () => {
      throw new Error('container not provisioned');
    };
    expect(await (await get('/api/status', sandbox)).json()).toEqual({ ok: false, status: 'error', error: 'container not provisioned' });
  });

  it('proxies everything else to the gateway, starting it first (waiting up to 180 s for 18789)', async () => {
    const sandbox = new FakeSandbox();
    const response = await get('/chat?x=1', sandbox);
    expect(await response.text()).toBe('gateway saw /chat');
    expect(sandbox.started).toEqual([{ command: START_COMMAND, env: SECRETS, waitedFor: { port: GATEWAY_PORT, timeout: GATEWAY_START_TIMEOUT_MS } }]);
    await get('/again', sandbox);
    expect(sandbox.started).toHaveLength(1);
  });

  it('answers 503 when the gateway cannot be started', async () => {
    const sandbox = new FakeSandbox();
    sandbox.startFails = true;
    const response = await get('/chat', sandbox);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false, error: 'gateway unavailable: process exited before port 18789 was ready' });
  });

  it("starts the gateway with the Worker's secrets in its environment: set ones only, under the names openclaw reads", async () => {
    const sandbox = new FakeSandbox();
    const secrets = {
      MOLTBOT_GATEWAY_TOKEN: 'upstream-token', // upstream moltworker's name, mapped
      ANTHROPIC_API_KEY: 'sk-ant-1',
      OPENAI_API_KEY: '', // empty counts as unset
      TELEGRAM_BOT_TOKEN: 'tg-1',
      R2_ACCESS_KEY_ID: 'r2-id',
      R2_SECRET_ACCESS_KEY: 'r2-secret',
      CF_ACCOUNT_ID: 'acct',
      // Bindings and anything not a known secret never reach the container.
      Sandbox: { binding: true },
      UNRELATED: 'nope',
    } as WorkerSecrets;
    await get('/', sandbox, secrets);
    expect(sandbox.started[0].env).toEqual({
      OPENCLAW_GATEWAY_TOKEN: 'upstream-token',
      ANTHROPIC_API_KEY: 'sk-ant-1',
      TELEGRAM_BOT_TOKEN: 'tg-1',
      R2_ACCESS_KEY_ID: 'r2-id',
      R2_SECRET_ACCESS_KEY: 'r2-secret',
      CF_ACCOUNT_ID: 'acct',
    });
  });

  it('prefers OPENCLAW_GATEWAY_TOKEN over the upstream name, and routes a legacy AI Gateway as the Anthropic base URL', async () => {
    const sandbox = new FakeSandbox();
    await get('/', sandbox, { OPENCLAW_GATEWAY_TOKEN: 'ours', MOLTBOT_GATEWAY_TOKEN: 'theirs', AI_GATEWAY_API_KEY: 'aig-key', AI_GATEWAY_BASE_URL: 'https://gateway.ai.cloudflare.com/v1/a/b/anthropic//' });
    expect(sandbox.started[0].env).toEqual({
      OPENCLAW_GATEWAY_TOKEN: 'ours',
      ANTHROPIC_API_KEY: 'aig-key',
      AI_GATEWAY_BASE_URL: 'https://gateway.ai.cloudflare.com/v1/a/b/anthropic',
      ANTHROPIC_BASE_URL: 'https://gateway.ai.cloudflare.com/v1/a/b/anthropic',
    });
  });

  it.each([
    [{ ANTHROPIC_API_KEY: 'sk-ant-secret-1' }, ['OPENCLAW_GATEWAY_TOKEN']],
    [{ OPENCLAW_GATEWAY_TOKEN: 'gw-secret-2' }, ['ANTHROPIC_API_KEY']],
    [{ OPENCLAW_GATEWAY_TOKEN: 'gw-secret-3', CLOUDFLARE_AI_GATEWAY_API_KEY: 'aig-secret-4', CF_AI_GATEWAY_ACCOUNT_ID: 'acct-5' }, ['ANTHROPIC_API_KEY']], // the gateway ID is missing
    [{ OPENCLAW_GATEWAY_TOKEN: ' ', ANTHROPIC_API_KEY: '' }, ['OPENCLAW_GATEWAY_TOKEN', 'ANTHROPIC_API_KEY']],
  ])('answers 503 naming the missing secret before touching the container (%o → %o)', async (secrets, missing) => {
    const sandbox = new FakeSandbox();
    let created = 0;
    const response = await handleRequest(new Request('https://w.dev/chat'), () => (created++, sandbox), secrets as WorkerSecrets);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { ok: boolean; missing: string[]; error: string };
    expect(body.ok).toBe(false);
    expect(body.missing).toEqual(missing);
    for (const name of missing) expect(body.error).toContain(`wrangler secret put ${name}`);
    for (const value of Object.values(secrets)) if (value.trim()) expect(JSON.stringify(body)).not.toContain(value);
    expect(created).toBe(0);

    // /api/status says the same in its own shape (200, like not_running), without asking the container.
    const status = await handleRequest(new Request('https://w.dev/api/status'), () => (created++, sandbox), secrets as WorkerSecrets);
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({ ok: false, status: 'misconfigured', missing, error: body.error });
    expect(created).toBe(0);
  });

  it('accepts OpenAI or Cloudflare AI Gateway instead of an Anthropic key', async () => {
    for (const ai of [{ OPENAI_API_KEY: 'o' }, { CLOUDFLARE_AI_GATEWAY_API_KEY: 'k', CF_AI_GATEWAY_ACCOUNT_ID: 'a', CF_AI_GATEWAY_GATEWAY_ID: 'g' }]) {
      const sandbox = new FakeSandbox();
      const response = await get('/', sandbox, { OPENCLAW_GATEWAY_TOKEN: 't', ...ai });
      expect(response.status).toBe(200);
      expect(sandbox.started[0].env).toEqual({ OPENCLAW_GATEWAY_TOKEN: 't', ...ai });
    }
  });

  it('every Worker secret is documented with its `wrangler secret put` command in the README and named in wrangler.jsonc', () => {
    const root = join(import.meta.dirname, '../../../..');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const wranglerConfig = readFileSync(join(import.meta.dirname, '../wrangler.jsonc'), 'utf8');
    for (const name of SECRET_NAMES) {
      expect(readme).toContain(`wrangler secret put ${name}`);
      expect(wranglerConfig).toContain(name);
    }
  });
});
