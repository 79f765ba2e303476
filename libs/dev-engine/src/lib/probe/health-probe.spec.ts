import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { freePort, selfSignedCert, tempDir } from '../../testing/fixtures.ts';
import { classifyHealthBody, isLoopbackHost, isPortFree, portOf, probe, probeHttp, probeTcp } from './health-probe.ts';

describe('classifyHealthBody', () => {
  it('accepts current openclaw JSON and the older gateways HTML Control UI', () => {
    expect(classifyHealthBody('{"ok":true,"status":"live"}', 'application/json').healthy).toBe(true);
    expect(classifyHealthBody('<!doctype html><html></html>', 'text/html').healthy).toBe(true);
  });
  it('rejects JSON that says it is not ok or not ready', () => {
    expect(classifyHealthBody('{"ok":false}', 'application/json').healthy).toBe(false);
    expect(classifyHealthBody('{"ready":false,"failing":["db"]}', undefined).healthy).toBe(false);
  });
  it('rejects HTML when only JSON is accepted, and plain text unless asked for', () => {
    expect(classifyHealthBody('<html></html>', 'text/html', ['json']).healthy).toBe(false);
    expect(classifyHealthBody('fine', 'text/plain').healthy).toBe(false);
    expect(classifyHealthBody('fine', 'text/plain', ['text']).healthy).toBe(true);
  });
});

describe('probes against real servers', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  const serve = async (status: number, body: string, type = 'application/json') => {
    const port = await freePort();
    server = createServer((_, response) => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${port}/health`;
  };

  it('is healthy on 200 JSON', async () => {
    expect(await probeHttp(await serve(200, '{"ok":true}'))).toMatchObject({ healthy: true });
  });
  it('is unhealthy on 503', async () => {
    expect(await probeHttp(await serve(503, 'starting', 'text/plain'))).toEqual({ healthy: false, detail: 'HTTP 503' });
  });
  it('treats a 404 as up only when TCP fallback is on (gateways without a health route)', async () => {
    const url = await serve(404, 'not found', 'text/plain');
    expect((await probeHttp(url)).healthy).toBe(false);
    expect((await probeHttp(url, { tcpFallback: true })).healthy).toBe(true);
  });
  it('reports a refused connection', async () => {
    const port = await freePort();
    expect(await probeHttp(`http://127.0.0.1:${port}/health`)).toEqual({ healthy: false, detail: 'ECONNREFUSED' });
  });
  it('times out a server that never answers', async () => {
    const port = await freePort();
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    const result = await probeHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 200 });
    expect(result.healthy).toBe(false);
    server.closeAllConnections();
  });

  it('checks TCP ports and port availability', async () => {
    const port = await freePort();
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
    expect((await probeTcp('127.0.0.1', port)).healthy).toBe(false);
    const tcp = createTcpServer();
    await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
    try {
      expect((await probeTcp('127.0.0.1', port)).healthy).toBe(true);
      expect(await isPortFree('127.0.0.1', port)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });
});

describe('https health checks', () => {
  const dir = tempDir('loa-cert-');
  const tls = selfSignedCert(dir.path);
  afterAll(() => dir.remove());

  it('probes an https service with a self-signed certificate on loopback (node:http used to throw on https:)', async () => {
    const port = await freePort();
    const server = createHttpsServer(tls, (_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await probe({ http: `https://127.0.0.1:${port}/health` })).toEqual({ healthy: true, detail: 'JSON ok' });
      expect(await probe({ http: `https://localhost:${port}/health` })).toMatchObject({ healthy: true });
      // Plain http to a TLS port is an answer that is no health check, not a crash.
      expect((await probe({ http: `http://127.0.0.1:${port}/health` })).healthy).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a protocol it cannot probe instead of throwing', async () => {
    await expect(probeHttp('ftp://127.0.0.1:21/health')).resolves.toEqual({ healthy: false, detail: 'unsupported protocol ftp: (use http: or https:)' });
    await expect(probeHttp('not a url')).resolves.toEqual({ healthy: false, detail: 'invalid URL not a url' });
  });

  it('verifies certificates everywhere but on loopback', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', 'example.com', '128.0.0.1', 'localhost.example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('portOf', () => {
  it('reads the port from an HTTP URL or a TCP check', () => {
    expect(portOf({ http: 'http://127.0.0.1:3000/health' })).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(portOf({ http: 'http://localhost/health' })).toEqual({ host: 'localhost', port: 80 });
    expect(portOf({ http: 'https://127.0.0.1/health' })).toEqual({ host: '127.0.0.1', port: 443 });
    expect(portOf({ tcp: { port: 18789 } })).toEqual({ host: '127.0.0.1', port: 18789 });
    expect(portOf(undefined)).toBeUndefined();
  });
});
