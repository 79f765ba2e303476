import { createServer, type Server } from 'node:http';
import { freePort } from '../../../../dev-engine/src/testing/fixtures.ts';
import { judgeAnswer, jsonPath, smokeTest, type SmokeCheck } from './smoke.ts';

describe('judgeAnswer', () => {
  it('passes the expected status with any body, JSON or HTML', () => {
    expect(judgeAnswer(200, '<html>ok</html>', { expectStatus: 200 })).toBeUndefined();
    expect(judgeAnswer(200, '{"ok":true}', { expectStatus: 200 })).toBeUndefined();
  });
  it('names a wrong status, a non-JSON body and a wrong JSON value', () => {
    expect(judgeAnswer(500, '', { expectStatus: 200 })).toBe('HTTP 500 (expected 200)');
    expect(judgeAnswer(200, '<html>', { expectStatus: 200, expectJson: { ok: true } })).toMatch(/body is not JSON/);
    expect(judgeAnswer(200, '{"ok":false,"status":"not_running"}', { expectStatus: 200, expectJson: { ok: true } })).toBe('HTTP 200, ok is false (expected true)');
  });
  it('reads nested paths', () => {
    expect(jsonPath({ a: { b: [1, { c: 'x' }] } }, 'a.b.1.c')).toBe('x');
    expect(jsonPath({ a: 1 }, 'a.b')).toBeUndefined();
  });
});

describe('smokeTest against real local servers', () => {
  const servers: Server[] = [];
  let lines: string[];
  const sleeps: number[] = [];
  const fakeSleep = async (ms: number) => void sleeps.push(ms);

  beforeEach(() => {
    lines = [];
    sleeps.length = 0;
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  async function serve(handler: (path: string, hit: number) => { status: number; body: string } | 'hang', host = '127.0.0.1'): Promise<number> {
    const port = await freePort();
    let hits = 0;
    const server = createServer((request, response) => {
      hits += 1;
      const answer = handler(request.url ?? '/', hits);
      if (answer === 'hang') return;
      response.writeHead(answer.status, { 'content-type': answer.body.startsWith('{') ? 'application/json' : 'text/html' });
      response.end(answer.body);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    return port;
  }

  const check = (urls: string[], overrides: Partial<SmokeCheck> = {}): SmokeCheck => ({ urls, attempts: 6, delaySeconds: 10, timeoutSeconds: 2, expectStatus: 200, ...overrides });

  it('retries with the seed backoff (i × delay) and passes when the server recovers', async () => {
    const port = await serve((_, hit) => (hit <= 2 ? { status: 503, body: 'starting' } : { status: 200, body: '{"status":"ok"}' }));
    const result = await smokeTest(check([`http://127.0.0.1:${port}/sandbox-health`]), (l) => lines.push(l), fakeSleep);
    expect(result.ok).toBe(true);
    expect(sleeps).toEqual([10_000, 20_000]);
    expect(lines).toEqual([
      `[smoke] http://127.0.0.1:${port}/sandbox-health attempt 1/6: HTTP 503 (expected 200); next in 10 s`,
      `[smoke] http://127.0.0.1:${port}/sandbox-health attempt 2/6: HTTP 503 (expected 200); next in 20 s`,
      `[smoke] http://127.0.0.1:${port}/sandbox-health attempt 3/6: ok`,
    ]);
  });

  it('fails after every attempt on a server that always answers 500, with a summary', async () => {
    const port = await serve(() => ({ status: 500, body: 'boom' }));
    const result = await smokeTest(check([`http://127.0.0.1:${port}/`], { attempts: 3 }), (l) => lines.push(l), fakeSleep);
    expect(result.ok).toBe(false);
    expect(lines).toHaveLength(3);
    expect(result.summary).toBe(`smoke test FAILED: http://127.0.0.1:${port}/ → HTTP 500 (expected 200) after 3 attempt(s)`);
  });

  it('gives up on a server that hangs past the per-attempt timeout', async () => {
    const port = await serve(() => 'hang');
    const started = Date.now();
    const result = await smokeTest(check([`http://127.0.0.1:${port}/`], { attempts: 2, timeoutSeconds: 0.3 }), (l) => lines.push(l), fakeSleep);
    expect(result.ok).toBe(false);
    expect(result.results[0].last).toBe('no answer within 0.3 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a refused port', async () => {
    const port = await freePort();
    const result = await smokeTest(check([`http://127.0.0.1:${port}/`], { attempts: 1 }), (l) => lines.push(l), fakeSleep);
    expect(result.results[0].last).toBe('ECONNREFUSED');
  });

  it('checks a JSON value, and stops at the first URL that fails', async () => {
    const port = await serve((path) => (path === '/sandbox-health' ? { status: 200, body: '{"status":"ok"}' } : { status: 200, body: '{"ok":false,"status":"not_running"}' }));
    const urls = [`http://127.0.0.1:${port}/sandbox-health`, `http://127.0.0.1:${port}/api/status`, `http://127.0.0.1:${port}/never`];
    const result = await smokeTest(check(urls, { attempts: 2, expectJson: undefined }), (l) => lines.push(l), fakeSleep);
    expect(result.ok).toBe(true);
    const strict = await smokeTest(check(urls.slice(1), { attempts: 2, expectJson: { ok: true } }), (l) => lines.push(l), fakeSleep);
    expect(strict.ok).toBe(false);
    expect(strict.summary).toBe(
      `smoke test FAILED: ${urls[1]} → HTTP 200, ok is false (expected true) after 2 attempt(s); ${urls[2]} → not tried (an earlier URL failed)`,
    );
  });

  it('tries IPv4 loopback when localhost refuses', async () => {
    const port = await serve(() => ({ status: 200, body: 'ok' }), '127.0.0.1');
    const result = await smokeTest(check([`http://localhost:${port}/`], { attempts: 1 }), (l) => lines.push(l), fakeSleep);
    expect(result.ok).toBe(true);
  });
});
