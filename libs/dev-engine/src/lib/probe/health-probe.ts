import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';

/** A process's health check, as written in the target's options. */
export type HealthCheck =
  | {
      /** GET this URL; healthy on 200 with an accepted body. */
      http: string;
      /** Bodies that count as healthy: current openclaw answers JSON, older gateways their HTML Control UI. */
      accept?: Array<'json' | 'html' | 'text'>;
      /** A 404 means the server predates health routes: then a TCP connect proves it up. */
      tcpFallback?: boolean;
    }
  | { tcp: { host?: string; port: number } };

export interface ProbeResult {
  healthy: boolean;
  detail: string;
}

const DEFAULT_ACCEPT: Array<'json' | 'html' | 'text'> = ['json', 'html'];

/** Classifies a 200 body; JSON that says `ok: false` or `ready: false` is not healthy. */
export function classifyHealthBody(body: string, contentType: string | undefined, accept = DEFAULT_ACCEPT): ProbeResult {
  const trimmed = body.trimStart();
  const looksJson = (contentType ?? '').includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[');
  if (looksJson) {
    if (!accept.includes('json')) return { healthy: false, detail: 'JSON body not accepted' };
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      if (parsed && (parsed.ok === false || parsed.ready === false)) return { healthy: false, detail: `unhealthy: ${body.slice(0, 120)}` };
      return { healthy: true, detail: 'JSON ok' };
    } catch {
      return { healthy: false, detail: 'invalid JSON body' };
    }
  }
  const looksHtml = (contentType ?? '').includes('html') || /^<(!doctype|html)/i.test(trimmed);
  if (looksHtml) return accept.includes('html') ? { healthy: true, detail: 'HTML ok' } : { healthy: false, detail: 'HTML body not accepted' };
  return accept.includes('text') ? { healthy: true, detail: 'text ok' } : { healthy: false, detail: `unexpected body: ${body.slice(0, 80)}` };
}

export function probeTcp(host: string, port: number, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ healthy: false, detail: `tcp ${host}:${port} timed out` }));
    socket.once('connect', () => done({ healthy: true, detail: `tcp ${host}:${port} open` }));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ healthy: false, detail: `tcp ${host}:${port} ${error.code ?? error.message}` }));
  });
}

/** 127.0.0.0/8, ::1 and localhost: a connection that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * GET the URL over http or https. For https on a loopback address the certificate is not verified: dev
 * servers there use self-signed certificates (mkcert, openssl), and the probe sends nothing secret
 * and only reads whether the service answers, which a forged certificate could not change from off
 * the machine. Any other host must present a certificate Node trusts (NODE_EXTRA_CA_CERTS adds a CA).
 */
export function probeHttp(url: string, options: { accept?: Array<'json' | 'html' | 'text'>; tcpFallback?: boolean; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 1000;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve({ healthy: false, detail: `invalid URL ${url}` });
  }
  // Never throw from here: a probe that throws ends the engine and orphans every process it runs.
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return Promise.resolve({ healthy: false, detail: `unsupported protocol ${parsed.protocol} (use http: or https:)` });
  }
  const https = parsed.protocol === 'https:';
  const request = https ? httpsRequest : httpRequest;
  const tls = https ? { rejectUnauthorized: !isLoopbackHost(parsed.hostname) } : {};
  return new Promise((resolve) => {
    const req = request(parsed, { method: 'GET', timeout: timeoutMs, agent: false, ...tls }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        if (status === 200) {
          resolve(classifyHealthBody(body, response.headers['content-type'], options.accept));
        } else if (status === 404 && options.tcpFallback) {
          resolve({ healthy: true, detail: 'no health route (404); server answering' });
        } else {
          resolve({ healthy: false, detail: `HTTP ${status}` });
        }
      });
      response.on('error', (error) => resolve({ healthy: false, detail: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ healthy: false, detail: error.code ?? error.message }));
    req.end();
  });
}

export function probe(check: HealthCheck, timeoutMs?: number): Promise<ProbeResult> {
  if ('tcp' in check) return probeTcp(check.tcp.host ?? '127.0.0.1', check.tcp.port, timeoutMs);
  return probeHttp(check.http, { accept: check.accept, tcpFallback: check.tcpFallback, timeoutMs });
}

/** The port a health check listens on, which must be free before the process (re)starts. */
export function portOf(check: HealthCheck | undefined): { host: string; port: number } | undefined {
  if (!check) return undefined;
  if ('tcp' in check) return { host: check.tcp.host ?? '127.0.0.1', port: check.tcp.port };
  const url = new URL(check.http);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** True when nothing listens on host:port (a bind attempt succeeds). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
