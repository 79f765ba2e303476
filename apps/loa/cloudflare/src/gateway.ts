// The Worker's routes, written against the few sandbox calls they need, so they can be tested with a
// stand-in for the container (the one thing that cannot run here).

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
  startProcess(command: string, options?: { processId?: string }): Promise<SandboxProcess & { waitForPort(port: number, options?: { timeout?: number; mode?: 'http' | 'tcp' }): Promise<void> }>;
  containerFetch(request: Request, port: number): Promise<Response>;
}

export type GatewayStatus =
  | { ok: true; status: 'running'; processId: string }
  | { ok: false; status: 'not_running' | 'not_responding' | 'error'; processId?: string; error?: string };

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

/** Starts the container's start script unless it runs, and waits for the gateway's port. */
export async function ensureGateway(sandbox: GatewaySandbox): Promise<void> {
  if (await findGateway(sandbox)) return;
  const process = await sandbox.startProcess(START_COMMAND, { processId: 'loa-gateway' });
  await process.waitForPort(GATEWAY_PORT, { timeout: GATEWAY_START_TIMEOUT_MS, mode: 'tcp' });
}

export async function handleRequest(request: Request, sandbox: () => GatewaySandbox): Promise<Response> {
  const url = new URL(request.url);
  // Static on purpose (as in the real Worker): it proves the Worker deployed, nothing about the container.
  if (request.method === 'GET' && url.pathname === '/sandbox-health') {
    return json({ status: 'ok', service: 'moltbot-sandbox', gateway_port: GATEWAY_PORT });
  }
  if (request.method === 'GET' && url.pathname === '/api/status') {
    return json(await gatewayStatus(sandbox()));
  }
  try {
    const box = sandbox();
    await ensureGateway(box);
    // HTTP and WebSocket upgrades alike: containerFetch passes the request through.
    return await box.containerFetch(request, GATEWAY_PORT);
  } catch (error) {
    return json({ ok: false, error: `gateway unavailable: ${(error as Error).message}` }, 503);
  }
}
