import { GATEWAY_PORT, GATEWAY_START_TIMEOUT_MS, START_COMMAND, handleRequest, type GatewaySandbox, type SandboxProcess } from './gateway.ts';

/** A stand-in for the container at the sandbox SDK's interface: the one part that cannot run here. */
class FakeSandbox implements GatewaySandbox {
  processes: SandboxProcess[] = [];
  started: Array<{ command: string; waitedFor?: { port: number; timeout?: number } }> = [];
  fetched: Array<{ url: string; port: number }> = [];
  gatewayAnswers = true;
  startFails = false;

  async listProcesses() {
    return this.processes;
  }
  async startProcess(command: string) {
    const process: SandboxProcess = { id: 'loa-gateway', command, status: 'running' };
    const record: { command: string; waitedFor?: { port: number; timeout?: number } } = { command };
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

const get = (path: string, sandbox: FakeSandbox) => handleRequest(new Request(`https://loa-beauvoir.example.workers.dev${path}`), () => sandbox);

describe('Worker routes', () => {
  it('/sandbox-health is static and never touches the container', async () => {
    const sandbox = new FakeSandbox();
    let created = 0;
    const response = await handleRequest(new Request('https://w.dev/sandbox-health'), () => (created++, sandbox));
    expect(await response.json()).toEqual({ status: 'ok', service: 'moltbot-sandbox', gateway_port: 18789 });
    expect(created).toBe(0);
  });

  it('/api/status reports not_running when the start script is not running', async () => {
    expect(await (await get('/api/status', new FakeSandbox())).json()).toEqual({ ok: false, status: 'not_running' });
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
    expect(sandbox.started).toEqual([{ command: START_COMMAND, waitedFor: { port: GATEWAY_PORT, timeout: GATEWAY_START_TIMEOUT_MS } }]);
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
});
