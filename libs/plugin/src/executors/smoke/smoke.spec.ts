import { createServer, type Server } from 'node:http';
import { freePort } from '../../../../dev-engine/src/testing/fixtures.ts';
import { runSmoke } from './smoke.ts';

describe('smoke executor options', () => {
  let server: Server | undefined;
  let hits: string[];
  beforeEach(() => (hits = []));
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  async function healthServer(): Promise<string> {
    const port = await freePort();
    server = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.setHeader('content-type', 'application/json');
      response.end('{"status":"ok"}');
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${port}`;
  }

  // The target's configured urls need CF_SUBDOMAIN; `--url` must not bring them along.
  const configured = { urls: ['https://loa-beauvoir.${CF_SUBDOMAIN}.workers.dev/sandbox-health'], attempts: 1, delaySeconds: 0, timeoutSeconds: 2 };

  it('a url (from the command line) replaces the configured urls, so CF_SUBDOMAIN is not needed', async () => {
    const url = `${await healthServer()}/sandbox-health`;
    const lines: string[] = [];
    expect(await runSmoke({ ...configured, url }, (line) => lines.push(line), { PATH: process.env.PATH })).toBe(0);
    expect(hits).toEqual(['/sandbox-health']);
    expect(lines.at(-1)).toBe(`[smoke] smoke test passed: ${url}`);
  });

  it('checks the options before any request: bad URL, attempts below 1, one line each', async () => {
    await healthServer();
    const lines: string[] = [];
    expect(await runSmoke({ ...configured, url: 'notaurl', attempts: 0 }, (line) => lines.push(line), {})).toBe(1);
    expect(lines).toEqual(['[smoke] ERROR: url is "notaurl" — it must be an http:// or https:// URL', '[smoke] ERROR: attempts is 0 — it must be >= 1']);
    expect(hits).toEqual([]);
  });

  it('a URL with credentials is refused before any request, and its password is never printed', async () => {
    const base = await healthServer();
    const lines: string[] = [];
    const url = base.replace('http://', 'http://admin:hunter2pass@');
    expect(await runSmoke({ ...configured, url }, (line) => lines.push(line), {})).toBe(1);
    expect(lines).toEqual([`[smoke] ERROR: url is "${base.replace('http://', 'http://***@')}" — a URL with credentials (user:password@) cannot be fetched, and would be printed — remove them from the URL`]);
    lines.length = 0;
    expect(await runSmoke({ url: '${BASE}/health', attempts: 1, delaySeconds: 0, timeoutSeconds: 1 }, (line) => lines.push(line), { BASE: url })).toBe(1);
    expect(lines).toEqual([`[smoke] ERROR: ${base.replace('http://', 'http://***@')}/health — a URL with credentials (user:password@) cannot be fetched, and would be printed — remove them from the URL`]);
    expect(hits).toEqual([]);
  });

  it('a URL that a variable turns into something else than http(s) is refused before any request', async () => {
    const lines: string[] = [];
    expect(await runSmoke({ url: '${BASE}/health', attempts: 1, delaySeconds: 0, timeoutSeconds: 1 }, (line) => lines.push(line), { BASE: 'ftp://example.com' })).toBe(1);
    expect(lines).toEqual(['[smoke] ERROR: ftp://example.com/health — it must be an http:// or https:// URL, not ftp://']);
  });
});
