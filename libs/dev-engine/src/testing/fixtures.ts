import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Test helpers: real files, real ports, bounded waits. */

/**
 * The engine's build output (`nx run dev-engine:build`; the test targets depend on it): what the dev image
 * and the installed plugin run. Tests that exercise "the engine as users run it" spawn this file.
 */
export const ENGINE_BUNDLE = join(import.meta.dirname, '../../../../dist/libs/dev-engine/cli.mjs');

/** ENGINE_BUNDLE, or an error that says how to build it (a test run outside Nx skips the build). */
export function engineBundle(): string {
  if (!existsSync(ENGINE_BUNDLE)) throw new Error(`${ENGINE_BUNDLE} is missing: run \`npx nx run dev-engine:build\` first (nx run dev-engine:test does)`);
  return ENGINE_BUNDLE;
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeFile(root: string, relativePath: string, content: string): void {
  const path = join(root, relativePath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Ports freePort has handed out in this process: the OS may hand a released port out again at once. */
const handedOut = new Set<number>();

/**
 * A port the OS just handed out and released, never one this process was given before: two calls in a
 * row (identity's port, then the gateway's) once got the same port, and one service answered for both.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the OS kept handing out ports this test process already uses');
}

/** Polls `check` until it yields a value; on time-out the error names what was awaited and, if given, the end of `context()` (a log). */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, context?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${context ? `\n${context().slice(-4000)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return undefined;
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export { processAlive } from '../lib/supervisor/process-group.ts';
import { OptionsError, validateOptions } from '../lib/schema/validate.ts';
export { isPortFree } from '../lib/probe/health-probe.ts';

/**
 * A small real HTTP service: GET / and /health answer JSON with its name, version (from version.mjs,
 * so an edit is new code) and pid. It listens on $PORT and exits cleanly on SIGTERM.
 */
export const SERVICE_SOURCE = `import { createServer } from 'node:http';
import { VERSION } from './version.mjs';
const name = process.env.NAME;
const server = createServer((request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ ok: true, name, version: VERSION, pid: process.pid }));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(name + ' listening, version ' + VERSION));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

export function writeService(root: string, folder: string, version: string): void {
  writeFile(root, `${folder}/service.mjs`, SERVICE_SOURCE);
  writeFile(root, `${folder}/version.mjs`, `export const VERSION = ${JSON.stringify(version)};\n`);
}

/** A throwaway self-signed certificate for 127.0.0.1/localhost (openssl, one day), for https services in tests. */
export function selfSignedCert(dir: string): { key: string; cert: string } {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
}

/**
 * options.json for the standalone engine: one process "identity" run through `sh -c <shell>` (sh leads
 * the group and the service is its child, so stopping must reach the grandchild too), restarted on
 * identity/** changes.
 */
export function writeIdentityOptions(root: string, port: number, options: { shell?: string; health?: string } = {}): void {
  writeFile(
    root,
    'options.json',
    JSON.stringify({
      processes: [
        {
          name: 'identity',
          command: 'sh',
          args: ['-c', options.shell ?? 'node identity/service.mjs & wait'],
          env: { NAME: 'identity', PORT: String(port) },
          health: { http: options.health ?? `http://127.0.0.1:${port}/health` },
        },
      ],
      rules: [{ match: ['identity/**'], restart: ['identity'] }],
    }),
  );
}

/** The validator's one line per problem for `options` against `schema`, or [] when they pass. */
export function optionProblems(schema: object, options: unknown): string[] {
  try {
    validateOptions(schema, options);
  } catch (error) {
    if (error instanceof OptionsError) return error.problems;
    throw error;
  }
  return [];
}
