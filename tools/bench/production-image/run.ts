// Production image benchmark: `apps/loa/docker/Dockerfile` with the real pinned gateway, built on the
// offline base as CI builds it. Prints the image size, the build time (the layer cache as it is), the
// rebuild time after a `.ts` edit (target < 60 s: dependency layers come before source layers), and how
// long `start-loa.sh` takes from `docker run` to identity's and the gateway's /health. Asserts nothing.
//
//   npm run bench:image      (bash tools/docker/ensure-engine.sh && node tools/bench/production-image/run.ts)
//
// Builds from a copy of the workspace's tracked files (the edit never touches this checkout); the
// container and the copy are removed at the end, the image (loa-prod:bench) is kept for its layers.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../../libs/dev-engine/src/testing/fixtures.ts';
import { copyTrackedFiles } from '../../testing/workspace-copy.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const IMAGE = 'loa-prod:bench';
const BASE = process.env.LOA_BENCH_BASE_IMAGE ?? 'loa-offline-base:bookworm';

function docker(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { ms: number; stdout: string } {
  const start = performance.now();
  const result = spawnSync('docker', args, { cwd: options.cwd ?? REPO, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`docker ${args.slice(0, 2).join(' ')} exited ${result.status}:\n${`${result.stdout}${result.stderr}`.slice(-3000)}`);
  return { ms: performance.now() - start, stdout: result.stdout };
}

const build = (dir: string) => docker(['buildx', 'build', '--load', '--network', 'host', '--progress', 'plain', '-f', 'apps/loa/docker/Dockerfile', '--build-arg', `BASE_IMAGE=${BASE}`, '-t', IMAGE, '.'], { cwd: dir }).ms;

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok && ((await response.json()) as { ok?: boolean }).ok === true;
  } catch {
    return false;
  }
}

async function bootMs(): Promise<number> {
  const name = `loa-prod-bench-${process.pid}`;
  const identityPort = await freePort();
  const gatewayPort = await freePort();
  const start = performance.now();
  try {
    docker(['run', '-d', '--rm', '--name', name, '--network', 'host', '-e', `LOA_IDENTITY_PORT=${identityPort}`, '-e', `LOA_GATEWAY_PORT=${gatewayPort}`, '-e', 'OPENCLAW_GATEWAY_TOKEN', IMAGE, '/usr/local/bin/start-loa.sh'], {
      env: { ...process.env, OPENCLAW_GATEWAY_TOKEN: randomBytes(16).toString('hex') },
    });
    for (const url of [`http://127.0.0.1:${identityPort}/health`, `http://127.0.0.1:${gatewayPort}/health`]) {
      while (!(await healthy(url))) {
        if (performance.now() - start > 300_000) throw new Error(`${url} not healthy after 300 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return performance.now() - start;
  } finally {
    spawnSync('docker', ['rm', '-f', name]);
  }
}

async function main() {
  const dir = copyTrackedFiles(REPO, 'loa-prod-bench-');
  const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  try {
    console.log(`production image benchmark (${IMAGE} on ${BASE}, real gateway), ${new Date().toISOString()}\n`);
    const firstMs = build(dir);
    const bytes = Number(docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE]).stdout.trim());
    appendFileSync(join(dir, 'libs/loa-identity/src/version.ts'), `// bench edit ${Date.now()}\n`);
    const rebuildMs = build(dir);
    const boot = await bootMs();
    console.log(`image size: ${(bytes / 1e6).toFixed(0)} MB`);
    console.log(`build (layer cache as found): ${fmt(firstMs)}`);
    console.log(`rebuild after a .ts edit: ${fmt(rebuildMs)}  (target < 60 s)`);
    console.log(`docker run start-loa.sh → identity and gateway /health: ${fmt(boot)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
