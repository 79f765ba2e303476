import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The production image, with the real pinned gateway, end to end: `apps/loa/docker/Dockerfile` built on
 * the offline base (CI cannot pull cloudflare/sandbox) with its default GATEWAY_PACKAGE, then booted with
 * `start-loa.sh` as the container's command, as the Worker runs it. Identity's /health and the gateway's
 * /health must answer; the SOUL.md the gateway reads must be the one identity regenerated; a new session
 * must get a rewritten SOUL.md without a gateway restart (observed through a stand-in model on loopback
 * that records what the gateway sends); and the dev start script must give the gateway a token when
 * .env.local has none. Containers, volumes and temp dirs are removed in afterAll, also on failure; the
 * image is kept so that the next run reuses its layers (the gateway layer is ~800 MB).
 */
const REPO = resolve(__dirname, '../../..');
const IMAGE = 'loa-prod:e2e';
const BASE = 'loa-offline-base:bookworm';
const RUN_ID = `${process.pid}-${Date.now()}`;
const TOKEN = `e2e-gateway-token-${randomBytes(8).toString('hex')}`;
const containers: string[] = [];
const volumes: string[] = [];
let configDir: string;
let model: { server: Server; port: number; requests: string[] };

function docker(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; allowFail?: boolean } = {}) {
  const result = spawnSync('docker', args, { cwd: REPO, encoding: 'utf8', env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (!options.allowFail && result.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')} … exited ${result.status}:\n${output.slice(-3000)}`);
  return { status: result.status, stdout: result.stdout ?? '', output };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Like docker(), without blocking this process: the stand-in model it talks to answers from here. */
function dockerAsync(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn('docker', args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, output: stdout + stderr });
    });
  });
}

const logsOf = (name: string) => docker(['logs', name], { allowFail: true }).output;

/** A stand-in for the model provider (OpenAI chat completions on loopback): records each request, answers "ok". */
async function startStandInModel(): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createHttpServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      requests.push(body);
      let stream = false;
      try {
        stream = Boolean((JSON.parse(body) as { stream?: boolean }).stream);
      } catch {
        // not JSON: answered like any other request
      }
      const base = { id: 'stand-in', created: 1, model: 'stand-in' };
      if (!stream) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = (payload: object) => response.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...payload })}\n\n`);
      event({ choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }] });
      event({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      event({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
      response.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

beforeAll(async () => {
  // The base is made by tools/docker/ensure-engine.sh (the e2e target runs it first).
  docker(['image', 'inspect', BASE], { allowFail: false });
  const started = Date.now();
  // The default GATEWAY_PACKAGE: the real pinned openclaw, as Cloudflare builds it.
  docker(['buildx', 'build', '--load', '--network', 'host', '--progress', 'plain', '-f', 'apps/loa/docker/Dockerfile', '--build-arg', `BASE_IMAGE=${BASE}`, '-t', IMAGE, '.'], { timeoutMs: 900_000 });
  const bytes = Number(docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE]).stdout.trim());
  console.log(`[e2e] ${IMAGE}: ${(bytes / 1e6).toFixed(0)} MB (production Dockerfile, real gateway, on ${BASE}); built in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  model = await startStandInModel();
  configDir = mkdtempSync(join(tmpdir(), 'loa-prod-e2e-'));
  // Only the model provider: the stand-in on loopback. Everything else is the gateway's default.
  writeFileSync(
    join(configDir, 'openclaw.json'),
    JSON.stringify({
      agents: { defaults: { model: { primary: 'standin/standin' } } },
      models: {
        mode: 'merge',
        providers: {
          standin: {
            baseUrl: `http://127.0.0.1:${model.port}/v1`,
            apiKey: 'not-a-secret',
            api: 'openai-completions',
            models: [{ id: 'standin', name: 'stand-in', reasoning: false, input: ['text'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 120000, maxTokens: 1024 }],
          },
        },
      },
    }),
  );
}, 900_000);

afterAll(async () => {
  for (const name of containers) docker(['rm', '-f', name], { allowFail: true });
  for (const name of volumes) docker(['volume', 'rm', '-f', name], { allowFail: true });
  if (model) await new Promise((r) => model.server.close(r));
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

/** Headless switches: no channels, cron, mail, canvas or browser to start in a test. */
const HEADLESS = ['OPENCLAW_SKIP_CHANNELS=1', 'OPENCLAW_SKIP_CRON=1', 'OPENCLAW_SKIP_GMAIL_WATCHER=1', 'OPENCLAW_SKIP_CANVAS_HOST=1', 'OPENCLAW_SKIP_BROWSER_CONTROL_SERVER=1'];

/** `docker run -d` on the host network; secrets are named with -e NAME and read from this process's environment. */
function runContainer(name: string, options: { env: string[]; secretEnv?: Record<string, string>; mounts?: string[]; command: string[] }) {
  const volume = `${name}-data`;
  containers.push(name);
  volumes.push(volume);
  const args = ['run', '-d', '--name', name, '--network', 'host', '-v', `${volume}:/data`];
  for (const mount of options.mounts ?? []) args.push('-v', mount);
  for (const entry of options.env) args.push('-e', entry);
  for (const secret of Object.keys(options.secretEnv ?? {})) args.push('-e', secret);
  args.push(IMAGE, ...options.command);
  docker(args, { env: { ...process.env, ...options.secretEnv } });
}

describe('the production image with the real gateway', () => {
  const name = `loa-prod-e2e-${RUN_ID}`;
  let identityPort: number;
  let gatewayPort: number;
  let soulHash: string;

  it('boots with start-loa.sh as its command: identity /health and the gateway /health answer', async () => {
    identityPort = await freePort();
    gatewayPort = await freePort();
    const started = Date.now();
    runContainer(name, {
      env: [`LOA_IDENTITY_PORT=${identityPort}`, `LOA_GATEWAY_PORT=${gatewayPort}`, 'OPENCLAW_CONFIG_PATH=/etc/loa-e2e/openclaw.json', ...HEADLESS],
      secretEnv: { OPENCLAW_GATEWAY_TOKEN: TOKEN },
      mounts: [`${configDir}:/etc/loa-e2e`],
      command: ['/usr/local/bin/start-loa.sh'],
    });
    const identity = await waitFor('identity /health', () => getJson(`http://127.0.0.1:${identityPort}/health`), 60_000, () => logsOf(name));
    expect(identity).toMatchObject({ ok: true });
    soulHash = String(identity.soulHash);
    const gateway = await waitFor('the gateway /health', () => getJson(`http://127.0.0.1:${gatewayPort}/health`), 180_000, () => logsOf(name));
    expect(gateway).toMatchObject({ ok: true });
    console.log(`[e2e] production container: identity and gateway healthy ${((Date.now() - started) / 1000).toFixed(1)} s after docker run`);
  });

  it('the gateway reads SOUL.md from the folder identity regenerated it in, and has not replaced it', () => {
    // agents.files.get is the gateway's own view of the agent's bootstrap file (token from the container's environment).
    const call = docker(['exec', name, 'openclaw', 'gateway', 'call', 'agents.files.get', '--port', String(gatewayPort), '--json', '--params', '{"agentId":"main","name":"SOUL.md"}']);
    const seen = JSON.parse(call.stdout) as { workspace: string; file: { path: string; missing: boolean; hash: string; content: string } };
    expect(seen.workspace).toBe('/root/.openclaw/workspace'); // start-loa.sh's LOA_WORKSPACE_DIR
    expect(seen.file.missing).toBe(false);
    expect(seen.file.content).toContain('generated from grimoires/loa/BEAUVOIR.md by loa-identity');
    expect(seen.file.content.endsWith(readFileSync(join(REPO, 'grimoires/loa/BEAUVOIR.md'), 'utf8'))).toBe(true);
    expect(seen.file.hash.startsWith(soulHash)).toBe(true); // identity's /health names this very file
  });

  it('a new session gets a rewritten SOUL.md without a gateway restart (bootstrap files are read per turn)', async () => {
    const agentTurn = async (session: string) => {
      const before = model.requests.length;
      const turn = await dockerAsync(['exec', '-e', `OPENCLAW_GATEWAY_PORT=${gatewayPort}`, name, 'openclaw', 'agent', '--session-key', `agent:main:${session}`, '--message', 'hello', '--json'], 180_000);
      if (turn.status !== 0) throw new Error(`openclaw agent exited ${turn.status}:\n${turn.output.slice(-3000)}`);
      expect(model.requests.length).toBeGreaterThan(before);
      return model.requests.slice(before).join('\n');
    };
    const first = await agentTurn('e2e-first');
    expect(first).toContain('I am Beauvoir, the agent of the loa deployment.');

    // A new persona, written as identity writes it (a temporary file renamed over SOUL.md).
    const marker = `persona-rewritten-${RUN_ID}`;
    docker(['exec', name, 'sh', '-c', `printf '# Beauvoir\\n\\n${marker}\\n' > /root/.openclaw/workspace/SOUL.md.tmp && mv /root/.openclaw/workspace/SOUL.md.tmp /root/.openclaw/workspace/SOUL.md`]);
    const second = await agentTurn('e2e-second');
    expect(second).toContain(marker);
    expect(second).not.toContain('I am Beauvoir, the agent of the loa deployment.');

    const logs = logsOf(name);
    expect(logs.match(/starting gateway on/g)).toHaveLength(1); // the same gateway served both sessions
    expect(docker(['inspect', '-f', '{{.State.Running}}', name]).stdout.trim()).toBe('true');
  });

  it('never prints the gateway token', () => {
    expect(logsOf(name)).not.toContain(TOKEN);
  });

  it('start-loa.sh without a gateway token stops at once with one line naming the secret and the fix', () => {
    const result = docker(['run', '--rm', '--network', 'host', IMAGE, '/usr/local/bin/start-loa.sh'], { allowFail: true, timeoutMs: 60_000 });
    expect(result.status).toBe(78);
    expect(result.output).toContain('ERROR: OPENCLAW_GATEWAY_TOKEN is not set, and the gateway refuses to bind to lan without it — set the Worker secret (npx wrangler secret put OPENCLAW_GATEWAY_TOKEN)');
  });
});

describe('the dev start script and the real gateway', () => {
  it('with no OPENCLAW_GATEWAY_TOKEN (a new user\'s .env.local), generates a local-only one: the gateway binds lan and is healthy', async () => {
    const name = `loa-dev-token-e2e-${RUN_ID}`;
    const identityPort = await freePort();
    const gatewayPort = await freePort();
    runContainer(name, {
      // The last fallback (no engine in the production image): identity and the gateway, no reload.
      env: [`LOA_IDENTITY_PORT=${identityPort}`, `LOA_GATEWAY_PORT=${gatewayPort}`, 'LOA_RELOAD=none', 'LOA_DATA_DIR=/data', 'LOA_WORKSPACE_DIR=/data/workspace', 'OPENCLAW_GATEWAY_TOKEN=', ...HEADLESS],
      mounts: [`${join(REPO, 'apps/loa/docker/start-loa-dev.sh')}:/usr/local/bin/start-loa-dev.sh:ro`],
      command: ['/usr/local/bin/start-loa-dev.sh'],
    });
    const gateway = await waitFor('the gateway /health', () => getJson(`http://127.0.0.1:${gatewayPort}/health`), 180_000, () => logsOf(name));
    expect(gateway).toMatchObject({ ok: true });
    const logs = logsOf(name);
    expect(logs).toContain('OPENCLAW_GATEWAY_TOKEN not set: generated a local-only gateway token in /data/gateway-token');
    const token = docker(['exec', name, 'cat', '/data/gateway-token']).stdout.trim();
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect(docker(['exec', name, 'stat', '-c', '%a', '/data/gateway-token']).stdout.trim()).toBe('600');
    expect(logs).not.toContain(token);
    // The gateway reads the workspace identity writes to (the CLI takes the token from its environment).
    const call = docker(['exec', name, 'sh', '-c', `OPENCLAW_GATEWAY_TOKEN=$(cat /data/gateway-token) exec openclaw gateway call agents.files.get --port ${gatewayPort} --json --params '{"agentId":"main","name":"SOUL.md"}'`]);
    const seen = JSON.parse(call.stdout) as { workspace: string; file: { missing: boolean; content: string } };
    expect(seen.workspace).toBe('/data/workspace');
    expect(seen.file.missing).toBe(false);
    expect(seen.file.content).toContain('generated from grimoires/loa/BEAUVOIR.md by loa-identity');
  });
});
