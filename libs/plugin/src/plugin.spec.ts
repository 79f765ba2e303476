import { symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CreateNodesContext, CreateNodesResult } from '@nx/devkit';
import { tempDir, writeFile } from '../../dev-engine/src/testing/fixtures.ts';
import { allProjects, showProject, showProjects } from './testing/resolved-project.ts';
import { createNodes, createNodesV2, type LoaPluginOptions } from './plugin.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const PLUGIN = join(import.meta.dirname, 'plugin.ts');
const WRANGLER = '{\n  // comments, as wrangler allows\n  "name": "my-worker",\n  "main": "src/index.ts",\n}\n';

/** createNodes over real files in `root`, as Nx calls it: the matched files relative to the workspace root. */
async function infer(root: string, files: string[], options?: LoaPluginOptions): Promise<Array<readonly [string, CreateNodesResult]>> {
  const context: CreateNodesContext = { workspaceRoot: root, nxJsonConfiguration: {} };
  return createNodes[1](files, options, context);
}

describe('inferred targets (createNodes over real files)', () => {
  let workspace: ReturnType<typeof tempDir>;
  beforeEach(() => {
    workspace = tempDir('loa-plugin-infer-');
    writeFile(workspace.path, 'apps/app/project.json', '{ "name": "app" }\n');
    writeFile(workspace.path, 'apps/app/cloudflare/wrangler.jsonc', WRANGLER);
    writeFile(workspace.path, 'apps/app/docker/Dockerfile.dev', 'FROM scratch\n');
  });
  afterEach(() => workspace.remove());

  it('is the one Nx 23 reads, under both names, over wrangler.jsonc and Dockerfile.dev anywhere', () => {
    expect(createNodesV2).toBe(createNodes);
    expect(createNodes[0]).toBe('**/{wrangler.jsonc,Dockerfile.dev}');
  });

  it('a wrangler.jsonc implies deploy and smoke on the project that owns its folder, paths and Worker name from the file', async () => {
    const [[file, result]] = await infer(workspace.path, ['apps/app/cloudflare/wrangler.jsonc']);
    expect(file).toBe('apps/app/cloudflare/wrangler.jsonc');
    expect(Object.keys(result.projects!)).toEqual(['apps/app']);
    const { deploy, smoke } = result.projects!['apps/app'].targets!;
    expect(deploy).toMatchObject({
      executor: '@loa/plugin:deploy-cf',
      cache: false,
      options: { cwd: 'apps/app/cloudflare', outDir: 'dist/apps/app/cloudflare', workerFiles: ['apps/app/cloudflare/**'] },
      configurations: { 'dry-run': { dryRun: true } },
    });
    expect(smoke).toMatchObject({ executor: '@loa/plugin:smoke', cache: false, options: { urls: ['https://my-worker.${CF_SUBDOMAIN}.workers.dev/sandbox-health'] } });
    expect([deploy.metadata?.description, smoke.metadata?.description]).toEqual([expect.stringContaining('apps/app/cloudflare'), expect.stringContaining('my-worker')]);
  });

  it('a Dockerfile.dev implies image and the docker dev-* family; continuous exactly where they run until stopped', async () => {
    const [[, result]] = await infer(workspace.path, ['apps/app/docker/Dockerfile.dev']);
    const targets = result.projects!['apps/app'].targets!;
    expect(Object.keys(targets)).toEqual(['image', 'dev-build', 'dev-shell', 'dev-logs', 'dev-down', 'dev-clean']);
    expect(targets.image).toMatchObject({ executor: '@loa/plugin:image', cache: false, options: { dockerfile: 'apps/app/docker/Dockerfile.dev', productionDockerfile: 'apps/app/docker/Dockerfile' } });
    expect(Object.fromEntries(Object.entries(targets).filter(([name]) => name !== 'image').map(([name, t]) => [name, [t.executor, t.options, t.continuous ?? false]]))).toEqual({
      'dev-build': ['@loa/plugin:dev', { runtime: 'docker', action: 'build' }, true],
      'dev-shell': ['@loa/plugin:dev', { runtime: 'docker', action: 'shell' }, false],
      'dev-logs': ['@loa/plugin:dev', { runtime: 'docker', action: 'logs' }, true],
      'dev-down': ['@loa/plugin:dev', { runtime: 'docker', action: 'down' }, false],
      'dev-clean': ['@loa/plugin:dev', { runtime: 'docker', action: 'clean' }, false],
    });
    for (const [name, target] of Object.entries(targets)) expect([name, typeof target.metadata?.description]).toEqual([name, 'string']);
  });

  it('names its targets after the options in nx.json', async () => {
    const results = await infer(workspace.path, ['apps/app/cloudflare/wrangler.jsonc', 'apps/app/docker/Dockerfile.dev'], {
      deployTargetName: 'ship',
      smokeTargetName: 'check',
      imageTargetName: 'dev-image',
      devTargetName: 'box',
    });
    expect(results.map(([, r]) => Object.keys(r.projects!['apps/app'].targets!))).toEqual([
      ['ship', 'check'],
      ['dev-image', 'box-build', 'box-shell', 'box-logs', 'box-down', 'box-clean'],
    ]);
  });

  it('never makes a project of its own: a file with no project.json above it infers nothing', async () => {
    writeFile(workspace.path, 'scratch/wrangler.jsonc', WRANGLER);
    writeFile(workspace.path, 'scratch/docker/Dockerfile.dev', 'FROM scratch\n');
    expect(await infer(workspace.path, ['scratch/wrangler.jsonc', 'scratch/docker/Dockerfile.dev'])).toEqual([
      ['scratch/wrangler.jsonc', {}],
      ['scratch/docker/Dockerfile.dev', {}],
    ]);
  });

  it('a second wrangler.jsonc or Dockerfile.dev in the same project does not take its targets over: the nearest to the root wins, then the first', async () => {
    writeFile(workspace.path, 'apps/app/zz-staging/wrangler.jsonc', '{ "name": "staging" }\n');
    writeFile(workspace.path, 'apps/app/cloudflare/test/fixtures/wrangler.jsonc', '{ "name": "fixture" }\n');
    writeFile(workspace.path, 'apps/app/Dockerfile.dev', 'FROM scratch\n');
    const files = ['apps/app/zz-staging/wrangler.jsonc', 'apps/app/cloudflare/wrangler.jsonc', 'apps/app/cloudflare/test/fixtures/wrangler.jsonc', 'apps/app/docker/Dockerfile.dev', 'apps/app/Dockerfile.dev'];
    const inferring = (await infer(workspace.path, files)).filter(([, result]) => result.projects !== undefined).map(([file]) => file);
    expect(inferring).toEqual(['apps/app/cloudflare/wrangler.jsonc', 'apps/app/Dockerfile.dev']);
  });

  it('a wrangler.jsonc without a readable name still infers deploy (which names the problem when run), never throws', async () => {
    writeFile(workspace.path, 'apps/app/cloudflare/wrangler.jsonc', '{ "main": "src/index.ts" ');
    const [[, result]] = await infer(workspace.path, ['apps/app/cloudflare/wrangler.jsonc']);
    expect(Object.keys(result.projects!['apps/app'].targets!)).toEqual(['deploy']);
  });
});

describe('inferred targets in a real Nx workspace (nx show, the plugin registered in nx.json)', () => {
  let workspace: ReturnType<typeof tempDir>;
  beforeAll(() => {
    workspace = tempDir('loa-plugin-nx-');
    symlinkSync(join(REPO, 'node_modules'), join(workspace.path, 'node_modules'));
    writeFile(workspace.path, 'package.json', '{ "name": "ws", "private": true }\n');
    writeFile(
      workspace.path,
      'nx.json',
      JSON.stringify({ plugins: [{ plugin: PLUGIN, options: { deployTargetName: 'deploy' } }], neverConnectToCloud: true }, null, 2),
    );
    writeFile(workspace.path, 'apps/app/cloudflare/wrangler.jsonc', WRANGLER);
    writeFile(workspace.path, 'apps/app/docker/Dockerfile.dev', 'FROM scratch\n');
    writeFile(workspace.path, 'misc/wrangler.jsonc', WRANGLER);
    // Explicit configuration: options merged over the inferred ones; a target with another executor replaces it whole.
    writeFile(
      workspace.path,
      'apps/app/project.json',
      JSON.stringify({
        name: 'app',
        targets: {
          smoke: { options: { urls: ['https://example.invalid/health'], attempts: 2 } },
          image: { options: { baseImage: 'registry.invalid/app:main' } },
          'dev-shell': { command: 'echo mine', metadata: { description: 'my own shell' } },
        },
      }),
    );
  });
  afterAll(() => workspace.remove());

  it('adds the targets to the owning project and no project for a file outside one', () => {
    expect(showProjects(workspace.path)).toEqual(['app']);
    const { targets } = showProject(workspace.path, 'app');
    expect(Object.keys(targets).sort()).toEqual(['deploy', 'dev-build', 'dev-clean', 'dev-down', 'dev-logs', 'dev-shell', 'image', 'smoke']);
    expect(targets.deploy.options).toEqual({ cwd: 'apps/app/cloudflare', outDir: 'dist/apps/app/cloudflare', workerFiles: ['apps/app/cloudflare/**'] });
  });

  it('explicit project.json configuration wins: its options over the inferred ones, its own executor over the whole target', () => {
    const { targets } = showProject(workspace.path, 'app');
    expect(targets.smoke).toMatchObject({ executor: '@loa/plugin:smoke', options: { urls: ['https://example.invalid/health'], attempts: 2 } });
    expect(targets.smoke.metadata?.description).toContain('my-worker');
    expect(targets.image.options).toEqual({ dockerfile: 'apps/app/docker/Dockerfile.dev', productionDockerfile: 'apps/app/docker/Dockerfile', baseImage: 'registry.invalid/app:main' });
    expect(targets['dev-shell']).toMatchObject({ executor: 'nx:run-commands', options: { command: 'echo mine' }, metadata: { description: 'my own shell' } });
    expect(targets['dev-shell'].options).not.toHaveProperty('action');
  });
});

describe('this workspace (the real `nx show project --json`)', () => {
  it('every target of loa has a description, the inferred ones included, with the options this repository needs', () => {
    const { targets } = showProject(REPO, 'loa');
    const missing = Object.entries(targets).filter(([, t]) => !t.metadata?.description).map(([name]) => name);
    expect(missing).toEqual([]);
    expect(Object.keys(targets)).toEqual(expect.arrayContaining(['dev', 'dev-build', 'dev-shell', 'dev-logs', 'dev-down', 'dev-clean', 'image', 'deploy', 'smoke']));
    expect(targets.deploy.options).toMatchObject({ cwd: 'apps/loa/cloudflare', outDir: 'dist/apps/loa/cloudflare', workerFiles: ['apps/loa/cloudflare/**'] });
    expect(targets.smoke.options).toEqual({ urls: ['https://loa-beauvoir.${CF_SUBDOMAIN}.workers.dev/sandbox-health'] });
    expect(targets.image.options).toEqual({ dockerfile: 'apps/loa/docker/Dockerfile.dev', productionDockerfile: 'apps/loa/docker/Dockerfile', baseImage: 'ghcr.io/0xhoneyjar/loa-beauvoir:main' });
  });

  it('every target of every other project has a description too', () => {
    const projects = allProjects(REPO);
    expect(projects.length).toBeGreaterThan(5);
    const missing = projects.flatMap(({ name, targets }) => Object.entries(targets).filter(([, t]) => !t.metadata?.description).map(([target]) => `${name}:${target}`));
    expect(missing).toEqual([]);
  });
});
