// The Worker's routes, written against the few sandbox calls they need, so they can be tested with a
// stand-in for the container (the one thing that cannot run here).
import { missingSecrets, missingSecretsMessage, processEnv, type WorkerSecrets } from './secrets.ts';

export const GATEWAY_PORT = 18789;
export const START_COMMAND = '/usr/local/bin/start-loa.sh';
/** The Worker waits this long for the gateway after starting the container (cold starts take 1–2 min). */
export const GATEWAY_START_TIMEOUT_MS = 180_000;
const STATUS_PROBE_TIMEOUT_MS = 5_000;

export interface SandboxProcess {
  id: string;
  command: string;
  status: 'starting' | 'running' | 'completed' | 'failed' | 'killed' | 'error';
}

/** The subset of @cloudflare/sandbox's Sandbox that the routes use. */
export interface GatewaySandbox {
  listProcesses(): Promise<SandboxProcess[]>;
  startProcess(command: string, options?: { processId?: string; env?: Record<string, string> }): Promise<SandboxProcess & { waitForPort(port: number, options?: { timeout?: number; mode?: 'http' | 'tcp' }): Promise<void> }>;
  containerFetch(request: Request, port: number): Promise<Response>;
}

export type GatewayStatus =
  | { ok: true; status: 'running'; processId: string }
  | { ok: false; status: 'not_running' | 'starting' | 'not_responding' | 'error'; processId?: string; error?: string }
  | { ok: false; status: 'misconfigured'; missing: string[]; error: string };

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export async function findGateway(sandbox: GatewaySandbox): Promise<SandboxProcess | undefined> {
  const processes = await sandbox.listProcesses();
  return processes.find((p) => p.command.includes(START_COMMAND) && (p.status === 'running' || p.status === 'starting'));
}

/** Asks the container whether the gateway answers: any HTTP answer on 18789 counts (older gateways have no health route). */
export async function gatewayStatus(sandbox: GatewaySandbox): Promise<GatewayStatus> {
  try {
    const gateway = await findGateway(sandbox);
    if (!gateway) return { ok: false, status: 'not_running' };
    const probe = sandbox.containerFetch(new Request('http://container/health'), GATEWAY_PORT);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STATUS_PROBE_TIMEOUT_MS));
    const answer = await Promise.race([probe.then(() => 'answered' as const, () => 'refused' as const), timeout]);
    return answer === 'answered' ? { ok: true, status: 'running', processId: gateway.id } : { ok: false, status: 'not_responding', processId: gateway.id };
  } catch (error) {
    return { ok: false, status: 'error', error: (error as Error).message };
  }
}

/**
 * Starts the container's start script unless it runs, with the Worker's secrets in its environment
 * (the container has no other source for them), and waits for the gateway's port.
 */
export async function ensureGateway(sandbox: GatewaySandbox, secrets: WorkerSecrets): Promise<void> {
  if (await findGateway(sandbox)) return;
  const process = await sandbox.startProcess(START_COMMAND, { processId: 'loa-gateway', env: processEnv(secrets) });
  await process.waitForPort(GATEWAY_PORT, { timeout: GATEWAY_START_TIMEOUT_MS, mode: 'tcp' });
}

/** Work that outlives the response (the Worker's ctx.waitUntil). */
export type Background = (work: Promise<unknown>) => void;

export async function handleRequest(request: Request, sandbox: () => GatewaySandbox, secrets: WorkerSecrets, background?: Background): Promise<Response> {
  const url = new URL(request.url);
  // Static on purpose (as in the real Worker): it proves the Worker deployed, nothing about the container.
  if (request.method === 'GET' && url.pathname === '/sandbox-health') {
    return json({ status: 'ok', service: 'moltbot-sandbox', gateway_port: GATEWAY_PORT });
  }
  // Checked before the container is touched: a start without them can only fail (and slowly).
  const missing = missingSecrets(secrets);
  if (missing.length > 0) {
    const error = missingSecretsMessage(missing);
    // /api/status reports state with 200, like not_running: its body says what is wrong.
    if (request.method === 'GET' && url.pathname === '/api/status') return json({ ok: false, status: 'misconfigured', missing, error } satisfies GatewayStatus);
    return json({ ok: false, error, missing }, 503);
  }
  if (request.method === 'GET' && url.pathname === '/api/status') {
    const box = sandbox();
    const status = await gatewayStatus(box);
    // A full deploy replaces the container, and nothing else starts the gateway in the new one: the
    // deploy's smoke test asks only this route, so it would see not_running until it rolled back. Start
    // it in the background (the response does not wait up to 180 s) and say so; a later call reports it.
    if (status.status === 'not_running' && background) {
      background(ensureGateway(box, secrets).catch(() => undefined));
      return json({ ok: false, status: 'starting' } satisfies GatewayStatus);
    }
    return json(status);
  }
  try {
    const box = sandbox();
    await ensureGateway(box, secrets);
    // HTTP and WebSocket upgrades alike: containerFetch passes the request through.
    return await box.containerFetch(request, GATEWAY_PORT);
  } catch (error) {
    return json({ ok: false, error: `gateway unavailable: ${(error as Error).message}` }, 503);
  }
}
