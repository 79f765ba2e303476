import { jest } from '@jest/globals';
import { getProjects, logger, readJson, readNxJson, readProjectConfiguration, updateProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { setupGenerator, WRANGLER_VERSION } from './generator.ts';
import { mergeMakefile } from './lib/makefile.ts';
import { changedSince, snapshot } from '../../testing/tree-snapshot.ts';
import { FsTree } from 'nx/src/generators/tree';
import { getPromptsForSchema } from 'nx/src/utils/params';
import type { SetupGeneratorSchema } from './schema.d.ts';

const GENERATOR = pathToFileURL(join(import.meta.dirname, 'generator.ts')).href;
const REPO = resolve(import.meta.dirname, '../../../../..');

/**
 * `nx g` as Nx runs it, in a child process: the generator over an FsTree of `dir`, then the tree flushed
 * to disk (flushChanges). As root (which ignores file modes) without the capabilities that override
 * them, so a read-only file or folder is one, as for any other user.
 */
function runUnprivileged(dir: string, options: SetupGeneratorSchema): { status: number | null; output: string } {
  const script = `
    import { createRequire } from 'node:module';
    const { FsTree, flushChanges } = createRequire(${JSON.stringify(join(REPO, 'package.json'))})('nx/src/generators/tree');
    const { setupGenerator } = await import(${JSON.stringify(GENERATOR)});
    const tree = new FsTree(process.cwd(), false);
    try {
      await setupGenerator(tree, ${JSON.stringify(options)});
      flushChanges(tree.root, tree.listChanges());
      console.log('written');
    } catch (error) {
      console.log(error.message);
      process.exitCode = 1;
    }`;
  const command = [process.execPath, '--input-type=module', '-e', script];
  const dropped = '-dac_override,-dac_read_search';
  const argv = process.getuid?.() === 0 ? ['setpriv', `--bounding-set=${dropped}`, `--inh-caps=${dropped}`, ...command] : command;
  const result = spawnSync(argv[0], argv.slice(1), { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw new Error(`${argv[0]} could not be started: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function emptyWorkspace(): Tree {
  return createTreeWithEmptyWorkspace({ formatter: 'none' });
}

describe('the prompts nx g builds from schema.json (interactive, nothing given)', () => {
  const schema = () => JSON.parse(readFileSync(join(import.meta.dirname, 'schema.json'), 'utf8'));
  type Question = { name: string; type: string; choices?: unknown[] };

  it.each([
    ['a fresh workspace (no project yet)', {}],
    ['a workspace with projects', { web: { root: 'apps/web' } }],
  ])('%s: every question can be answered, and --project (a new name too) is never a pick-list of existing projects', (_name, projects) => {
    // Nx turns a prompt on an option named `project` into a choice among the existing projects: empty in a
    // fresh workspace (it hangs), and no way to type the new project's name.
    const questions = getPromptsForSchema({}, schema(), { version: 2, projects } as never) as Question[];
    for (const question of questions) {
      expect({ name: question.name, choices: question.type === 'autocomplete' ? (question.choices ?? []).length > 0 : 'free' }).toEqual({
        name: question.name,
        choices: question.type === 'autocomplete' ? true : 'free',
      });
    }
    const project = questions.find((question) => question.name === 'project');
    expect(project === undefined || project.type === 'input').toBe(true);
  });
});

describe('nx g @loa/plugin:setup', () => {
  let warn: ReturnType<typeof jest.spyOn>;
  let info: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    info.mockRestore();
  });

  const warnings = () => warn.mock.calls.map((call: unknown[]) => String(call[0])).join('\n');

  describe('preset apps in an empty workspace', () => {
    let tree: Tree;
    beforeEach(async () => {
      tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
    });

    it('writes every file, the starter identity, and the projects', () => {
      for (const path of [
        'docker-compose.dev.yml',
        '.env.local.example',
        'Makefile',
        '.github/workflows/cloudflare-deploy.yml',
        'apps/loa/docker/Dockerfile',
        '.dockerignore',
        'apps/loa/docker/Dockerfile.dev',
        'apps/loa/docker/start-loa.sh',
        'apps/loa/docker/start-loa-dev.sh',
        'libs/loa-identity/package.json',
        'libs/loa-identity/src/main.ts',
        'libs/loa-identity/src/regenerate-soul.ts',
        'grimoires/project.json',
        '.claude/project.json',
        'libs/loa-identity/project.json',
      ]) {
        expect(tree.exists(path)).toBe(true);
      }
      for (const [path, content] of snapshot(tree)) {
        expect({ path, leftover: /<%|__tmpl__/.test(content) || path.includes('__') }).toEqual({ path, leftover: false });
      }
      const loa = readProjectConfiguration(tree, 'loa');
      expect(loa.root).toBe('apps/loa');
      expect(loa.implicitDependencies).toEqual(['loa-identity', 'grimoires', 'claude']);
      // No wrangler.jsonc yet, so nothing infers deploy and smoke: written whole, with descriptions.
      expect(Object.keys(loa.targets!)).toEqual(['dev', 'image', 'deploy', 'smoke']);
      for (const target of Object.values(loa.targets!)) if (target.executor) expect(target.metadata?.description).toEqual(expect.any(String));
      expect(loa.targets!.image.options).toEqual({ baseImage: 'loa-base:local' });
      expect(loa.targets!.deploy.options).toEqual({
        cwd: 'apps/loa/cloudflare',
        outDir: 'dist/apps/loa/cloudflare',
        workerFiles: ['apps/loa/cloudflare/**'],
        imageInputs: ['apps/loa/docker/**', '.claude/**', 'grimoires/**', 'libs/loa-identity/**', '.dockerignore'],
      });
      expect(loa.targets!.smoke.options.urls).toEqual(['https://loa.${CF_SUBDOMAIN}.workers.dev/sandbox-health']);
      // Scoped to the files it set up: no other wrangler.jsonc or Dockerfile.dev gets these targets.
      expect(readNxJson(tree)!.plugins).toContainEqual({
        plugin: '@loa/plugin/plugin',
        options: { deployTargetName: 'deploy', smokeTargetName: 'smoke', imageTargetName: 'image', devTargetName: 'dev' },
        include: ['apps/loa/cloudflare/wrangler.jsonc', 'apps/loa/docker/Dockerfile.dev'],
      });
      expect(tree.read('.gitignore', 'utf-8')).toMatch(/^\.env\.local\n\.wrangler\/\n\.loa\/\n$/m);
    });

    it('makes the start scripts executable with LF endings, and writes valid YAML', () => {
      for (const path of ['apps/loa/docker/start-loa-dev.sh', 'apps/loa/docker/start-loa.sh']) {
        expect(tree.listChanges().find((change) => change.path === path)?.options?.mode).toBe(0o755);
        expect(tree.read(path, 'utf-8')).not.toContain('\r');
        expect(tree.read(path, 'utf-8')).toMatch(/^#!\/usr\/bin\/env bash\n/);
      }
      const compose = parse(tree.read('docker-compose.dev.yml', 'utf-8')!);
      expect(compose.services['loa-dev'].build.dockerfile).toBe('apps/loa/docker/Dockerfile.dev');
      expect(compose.services['loa-dev'].build.args.BASE_IMAGE).toBe('${LOA_BASE_IMAGE:-loa-base:local}');
      expect(compose.services['loa-dev'].environment.LOA_IDENTITY_PORT).toBeUndefined();
      const workflow = parse(tree.read('.github/workflows/cloudflare-deploy.yml', 'utf-8')!);
      expect(workflow.jobs.deploy.steps.at(-1).run).toBe('npx nx affected -t deploy --outputStyle=stream');
    });

    it('changes nothing when run again', async () => {
      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'loa' });
      expect(changedSince(tree, before)).toEqual([]);
      expect(warn).not.toHaveBeenCalled();
    });

    it("keeps and lists a file the user edited, and --force replaces it", async () => {
      const generated = tree.read('docker-compose.dev.yml', 'utf-8')!;
      const edited = generated.replace('memory: 4G', 'memory: 6G');
      tree.write('docker-compose.dev.yml', edited);
      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'loa' });
      expect(changedSince(tree, before)).toEqual([]);
      expect(warnings()).toContain('docker-compose.dev.yml');
      expect(warnings()).toContain('--force');

      await setupGenerator(tree, { project: 'loa', force: true });
      expect(tree.read('docker-compose.dev.yml', 'utf-8')).toBe(generated);
    });

    it('takes a CRLF checkout of its output (core.autocrlf) for unchanged, but lists a CRLF start script (bash fails on the \\r)', async () => {
      const crlf = ['docker-compose.dev.yml', '.env.local.example', 'apps/loa/docker/Dockerfile.dev', 'Makefile', '.github/workflows/cloudflare-deploy.yml'];
      for (const path of crlf) tree.write(path, tree.read(path, 'utf-8')!.replace(/\n/g, '\r\n'));
      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'loa' });
      expect(changedSince(tree, before)).toEqual([]);
      expect(warn).not.toHaveBeenCalled();

      tree.write('apps/loa/docker/start-loa-dev.sh', tree.read('apps/loa/docker/start-loa-dev.sh', 'utf-8')!.replace(/\n/g, '\r\n'));
      await setupGenerator(tree, { project: 'loa' });
      expect(warnings()).toContain('apps/loa/docker/start-loa-dev.sh');
      expect(warnings()).not.toContain('docker-compose.dev.yml');
    });

    it("keeps and lists a target the user edited, keeps the user's extra keys, and --force restores ours", async () => {
      const loa = readJson(tree, 'apps/loa/project.json');
      loa.targets.dev.options.processes[0].args = ['libs/loa-identity/src/other.ts'];
      loa.targets.dev.configurations = { ci: { runtime: 'docker' } };
      loa.targets.test = { command: 'echo mine' };
      writeFileSyncTree(tree, 'apps/loa/project.json', loa);
      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'loa' });
      expect(changedSince(tree, before)).toEqual([]);
      expect(warnings()).toContain('apps/loa/project.json target dev');

      await setupGenerator(tree, { project: 'loa', force: true });
      const forced = readJson(tree, 'apps/loa/project.json');
      expect(forced.targets.dev.options.processes[0].args).toEqual(['libs/loa-identity/src/main.ts']);
      expect(forced.targets.dev.configurations).toEqual({ ci: { runtime: 'docker' } });
      expect(forced.targets.test).toEqual({ command: 'echo mine' });
    });

    it("--force replaces whole a target of the user's that runs another executor (its options are not in our schema)", async () => {
      const loa = readJson(tree, 'apps/loa/project.json');
      const generated = structuredClone(loa.targets);
      loa.targets.dev = { executor: 'nx:run-commands', options: { command: 'vite', cwd: 'apps/web' } };
      loa.targets.smoke = { command: 'curl -sf https://example.com' };
      writeFileSyncTree(tree, 'apps/loa/project.json', loa);
      await setupGenerator(tree, { project: 'loa', force: true });
      const forced = readJson(tree, 'apps/loa/project.json');
      expect(forced.targets.dev).toEqual(generated.dev);
      expect(forced.targets.smoke).toEqual(generated.smoke);
    });
  });

  describe('preset deploy (the seed layout)', () => {
    it('writes into deploy/, with rules and mounts for its paths, and changes nothing when run again', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'moltworker', preset: 'deploy', ci: 'none', healthPort: 3100 });
      for (const path of ['deploy/Dockerfile', 'deploy/Dockerfile.dev', 'deploy/start-loa-dev.sh', 'deploy/start-loa.sh', 'deploy/loa-identity/src/main.ts', 'deploy/project.json']) {
        expect(tree.exists(path)).toBe(true);
      }
      expect(tree.exists('.github/workflows/cloudflare-deploy.yml')).toBe(false);
      // The identity lives inside the project: no project of its own, no implicit dependency on it.
      expect(tree.exists('deploy/loa-identity/project.json')).toBe(false);
      const project = readProjectConfiguration(tree, 'moltworker');
      expect(project.root).toBe('deploy');
      expect(project.implicitDependencies).toEqual(['grimoires', 'claude']);
      const rules = project.targets!.dev.options.rules;
      expect(rules[0].match).toEqual(['deploy/loa-identity/**/*.ts', '.claude/lib/**/*.ts']);
      // deploy/ also holds the identity and the Worker: only the image's own files say "rebuild".
      expect(rules.at(-1).match).toEqual(['deploy/Dockerfile', 'deploy/Dockerfile.dev', 'deploy/start-loa.sh', 'deploy/start-loa-dev.sh', 'docker-compose.dev.yml']);
      expect(project.targets!.dev.options.env.LOA_IDENTITY_PORT).toBe('3100');
      const compose = parse(tree.read('docker-compose.dev.yml', 'utf-8')!);
      const service = compose.services['loa-dev'];
      expect(service.build.dockerfile).toBe('deploy/Dockerfile.dev');
      expect(service.volumes).toContain('./deploy/loa-identity:/workspace/deploy/loa-identity:rw');
      expect(service.volumes).toContain('./deploy/project.json:/workspace/deploy/project.json:ro');
      expect(service.environment.LOA_IDENTITY_PORT).toBe('3100');
      expect(service.ports).toContain('127.0.0.1:3100:3100');
      expect(tree.read('deploy/start-loa-dev.sh', 'utf-8')).toContain('PROJECT=$WORKSPACE/deploy/project.json');
      expect(tree.read('deploy/start-loa-dev.sh', 'utf-8')).toContain('IDENTITY=(node deploy/loa-identity/src/main.ts)');

      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'moltworker', preset: 'deploy', ci: 'none', healthPort: 3100 });
      expect(changedSince(tree, before)).toEqual([]);
    });

    it("leaves an existing production Dockerfile and identity service alone, and names the Worker from wrangler.jsonc", async () => {
      const tree = emptyWorkspace();
      tree.write('deploy/Dockerfile', 'FROM mine\n');
      tree.write('deploy/loa-identity/src/main.ts', 'console.log("mine");\n');
      tree.write('deploy/cloudflare/wrangler.jsonc', '// the Worker\n{ "name": "my-worker", /* c */ "main": "src/index.ts", }\n');
      await setupGenerator(tree, { project: 'moltworker', preset: 'deploy' });
      expect(tree.read('deploy/Dockerfile', 'utf-8')).toBe('FROM mine\n');
      expect(tree.exists('deploy/start-loa.sh')).toBe(false);
      expect(tree.exists('.dockerignore')).toBe(false);
      expect(tree.read('deploy/loa-identity/src/main.ts', 'utf-8')).toBe('console.log("mine");\n');
      expect(tree.exists('deploy/loa-identity/src/regenerate-soul.ts')).toBe(false);
      // deploy and smoke are inferred from wrangler.jsonc: project.json only adds the image inputs.
      const targets = readProjectConfiguration(tree, 'moltworker').targets!;
      expect(targets.deploy).toEqual({ options: { imageInputs: ['deploy/Dockerfile', 'deploy/start-loa.sh', '.claude/**', 'grimoires/**', 'deploy/loa-identity/**', '.dockerignore'] } });
      expect(targets.smoke).toBeUndefined();
      expect(warn).not.toHaveBeenCalled();

      await setupGenerator(tree, { project: 'moltworker', preset: 'deploy', workerName: 'other-worker' });
      expect(readProjectConfiguration(tree, 'moltworker').targets!.smoke).toEqual({ options: { urls: ['https://other-worker.${CF_SUBDOMAIN}.workers.dev/sandbox-health'] } });
    });
  });

  it('writes image and the dev-* family whole when Dockerfile.dev is outside the project (nothing infers them there)', async () => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'loa', dockerDir: 'docker' });
    const targets = readProjectConfiguration(tree, 'loa').targets!;
    expect(Object.keys(targets)).toEqual(['dev', 'image', 'dev-build', 'dev-shell', 'dev-logs', 'dev-down', 'dev-clean', 'deploy', 'smoke']);
    expect(targets.image.options).toEqual({ dockerfile: 'docker/Dockerfile.dev', productionDockerfile: 'docker/Dockerfile', baseImage: 'loa-base:local' });
    expect(targets['dev-logs']).toMatchObject({ executor: '@loa/plugin:dev', continuous: true, options: { runtime: 'docker', action: 'logs' } });
    for (const [name, target] of Object.entries(targets)) expect({ name, description: typeof target.metadata?.description }).toEqual({ name, description: 'string' });
    expect(tree.exists('docker/Dockerfile.dev')).toBe(true);
  });

  it('writes every target whole for a project configured in package.json (an npm workspace): the plugin infers only for project.json', async () => {
    const tree = emptyWorkspace();
    tree.write('package.json', JSON.stringify({ name: 'root', private: true, workspaces: ['deploy'] }));
    tree.write('deploy/package.json', JSON.stringify({ name: 'seed', private: true }));
    tree.write('deploy/cloudflare/wrangler.jsonc', '{ "name": "seed-worker" }');
    await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
    expect(tree.exists('deploy/project.json')).toBe(false);
    const targets = readProjectConfiguration(tree, 'seed').targets!;
    expect(Object.keys(targets).sort()).toEqual(['deploy', 'dev', 'dev-build', 'dev-clean', 'dev-down', 'dev-logs', 'dev-shell', 'image', 'smoke']);
    for (const [name, target] of Object.entries(targets)) expect({ name, executor: typeof target.executor }).toEqual({ name, executor: 'string' });
    expect(targets.smoke.options.urls).toEqual(['https://seed-worker.${CF_SUBDOMAIN}.workers.dev/sandbox-health']);
    const before = snapshot(tree);
    await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
    expect(changedSince(tree, before)).toEqual([]);
  });

  it('registers the plugin in a new nx.json when the workspace has none (Nx runs without one), and relies on it', async () => {
    const tree = emptyWorkspace();
    tree.delete('nx.json');
    tree.write('deploy/cloudflare/wrangler.jsonc', '{ "name": "seed-worker" }');
    await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
    expect(readNxJson(tree)?.plugins).toEqual([expect.objectContaining({ plugin: '@loa/plugin/plugin' })]);
    const before = snapshot(tree);
    await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
    expect(changedSince(tree, before)).toEqual([]);
  });

  it.each([
    ['other target names', { plugin: '@loa/plugin/plugin', options: { deployTargetName: 'cf-deploy', imageTargetName: 'dev-image' } }],
    ['an exclude of our files', { plugin: '@loa/plugin/plugin', include: ['apps/web/**'], exclude: ['deploy/**'] }],
  ])("writes every target whole when the user's registration has %s (nothing may infer ours)", async (_name, entry) => {
    const tree = emptyWorkspace();
    tree.write('nx.json', JSON.stringify({ plugins: [entry] }));
    tree.write('deploy/cloudflare/wrangler.jsonc', '{ "name": "seed-worker" }');
    await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
    expect(readNxJson(tree)?.plugins).toEqual([entry]);
    const targets = readProjectConfiguration(tree, 'seed').targets!;
    expect(Object.keys(targets).sort()).toEqual(['deploy', 'dev', 'dev-build', 'dev-clean', 'dev-down', 'dev-logs', 'dev-shell', 'image', 'smoke']);
    for (const [name, target] of Object.entries(targets)) expect({ name, executor: typeof target.executor }).toEqual({ name, executor: 'string' });
  });

  describe("the plugin's registration in nx.json: scoped by include to the files it set up", () => {
    const OPTIONS = { deployTargetName: 'deploy', smokeTargetName: 'smoke', imageTargetName: 'image', devTargetName: 'dev' };

    it('a second project adds its files to the same include, once; reruns change nothing', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      await setupGenerator(tree, { project: 'molt', preset: 'deploy', ci: 'none' });
      const include = ['apps/loa/cloudflare/wrangler.jsonc', 'apps/loa/docker/Dockerfile.dev', 'deploy/cloudflare/wrangler.jsonc', 'deploy/Dockerfile.dev'];
      expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@loa/plugin/plugin', options: OPTIONS, include }]);
      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'loa' });
      await setupGenerator(tree, { project: 'molt', preset: 'deploy', ci: 'none' });
      expect(changedSince(tree, before)).toEqual([]);
    });

    it("merges into the user's scoped registration with our target names, and relies on it (options-only targets)", async () => {
      const tree = emptyWorkspace();
      tree.write('nx.json', JSON.stringify({ plugins: [{ plugin: '@loa/plugin/plugin', include: ['apps/web/**'] }] }));
      tree.write('deploy/cloudflare/wrangler.jsonc', '{ "name": "seed-worker" }');
      await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
      expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@loa/plugin/plugin', include: ['apps/web/**', 'deploy/cloudflare/wrangler.jsonc', 'deploy/Dockerfile.dev'] }]);
      expect(readProjectConfiguration(tree, 'seed').targets!.deploy).toEqual({ options: { imageInputs: expect.any(Array) } });
    });

    it('an include that already takes our files (a glob) is left as it is', async () => {
      const tree = emptyWorkspace();
      const entry = { plugin: '@loa/plugin/plugin', options: OPTIONS, include: ['deploy/**'] };
      tree.write('nx.json', JSON.stringify({ plugins: [entry] }));
      await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
      expect(readNxJson(tree)!.plugins).toEqual([entry]);
    });

    it('an unscoped registration (an older version wrote one) is kept and named with the include to add; --force scopes it', async () => {
      const tree = emptyWorkspace();
      tree.write('nx.json', JSON.stringify({ plugins: ['@loa/plugin/plugin'] }));
      await setupGenerator(tree, { project: 'loa' });
      expect(readNxJson(tree)!.plugins).toEqual(['@loa/plugin/plugin']);
      expect(warnings()).toContain('nx.json registers @loa/plugin/plugin without "include"');
      expect(warnings()).toContain('add "include": ["apps/loa/cloudflare/wrangler.jsonc","apps/loa/docker/Dockerfile.dev"] to that entry (--force does)');
      await setupGenerator(tree, { project: 'loa', force: true });
      expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@loa/plugin/plugin', options: OPTIONS, include: ['apps/loa/cloudflare/wrangler.jsonc', 'apps/loa/docker/Dockerfile.dev'] }]);
    });

    it("a rerun that moves the docker folder (seed layout, then --preset=apps) takes the old Dockerfile.dev out of the include, and only this project's", async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      tree.write('deploy/cloudflare/wrangler.jsonc', '{ "name": "seed-worker", "main": "src/index.ts" }');
      await setupGenerator(tree, { project: 'seed', grimoiresRoot: 'content/grimoires' });
      const loa = ['apps/loa/cloudflare/wrangler.jsonc', 'apps/loa/docker/Dockerfile.dev'];
      expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@loa/plugin/plugin', options: OPTIONS, include: [...loa, 'deploy/cloudflare/wrangler.jsonc', 'deploy/Dockerfile.dev'] }]);

      await setupGenerator(tree, { project: 'seed', preset: 'apps' });
      // The paths the deploy preset set follow the new preset; the one typed stays.
      expect(readJson(tree, 'deploy/.loa-setup.json').options).toMatchObject({ preset: 'apps', dockerDir: 'deploy/docker', identityRoot: 'libs/loa-identity', grimoiresRoot: 'content/grimoires' });
      expect(tree.exists('deploy/docker/Dockerfile.dev')).toBe(true);
      expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@loa/plugin/plugin', options: OPTIONS, include: [...loa, 'deploy/cloudflare/wrangler.jsonc', 'deploy/docker/Dockerfile.dev'] }]);
      const before = snapshot(tree);
      info.mockClear();
      await setupGenerator(tree, { project: 'seed' });
      expect(changedSince(tree, before)).toEqual([]);
      // deploy/cloudflare would have said --preset=deploy: the recorded one is named.
      expect(info.mock.calls.map((call: unknown[]) => String(call[0]))).toEqual([
        'Reused the options deploy/.loa-setup.json recorded, not given this time: --preset=apps --grimoiresRoot=content/grimoires (pass a flag to change one)',
      ]);
    });

    it('an include left with none of its files goes (an empty one would take every file), or takes the new ones', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa', ci: 'none' });
      await setupGenerator(tree, { project: 'loa', dockerDir: 'docker', cloudflareDir: 'cloudflare' });
      // Outside the project nothing infers: no registration left, every target written whole.
      expect(readNxJson(tree)!.plugins ?? []).toEqual([]);
      await setupGenerator(tree, { project: 'loa', dockerDir: 'apps/loa/dev' });
      expect(readNxJson(tree)!.plugins).toEqual([{ plugin: '@loa/plugin/plugin', options: OPTIONS, include: ['apps/loa/dev/Dockerfile.dev'] }]);
    });

    it('registers nothing when the plugin would infer nothing for the project (an empty include would take every file)', async () => {
      const tree = emptyWorkspace();
      tree.write('package.json', JSON.stringify({ name: 'root', private: true, workspaces: ['deploy'] }));
      tree.write('deploy/package.json', JSON.stringify({ name: 'seed', private: true }));
      await setupGenerator(tree, { project: 'seed', preset: 'deploy' });
      expect(readNxJson(tree)!.plugins ?? []).toEqual([]);
    });
  });

  describe('a rerun with other options (the state file records the last run\'s)', () => {
    it('updates what it wrote for the old options without --force, keeps a hand edit, and records the new options', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      expect(readJson(tree, 'apps/loa/.loa-setup.json').options).toMatchObject({ preset: 'apps', gatewayPort: 18789, healthPort: 3000 });
      const script = 'apps/loa/docker/start-loa-dev.sh';
      const edited = `${tree.read(script, 'utf-8')}# mine\n`;
      tree.write(script, edited);

      await setupGenerator(tree, { project: 'loa', gatewayPort: 28789 });
      expect(info.mock.calls.map((call: unknown[]) => String(call[0])).join('\n')).toMatch(
        /^Updated for the options that changed \(the generator's own output for the options in apps\/loa\/\.loa-setup\.json\):\n[^]*- docker-compose\.dev\.yml/,
      );
      expect(tree.read('docker-compose.dev.yml', 'utf-8')).toContain('28789');
      expect(readProjectConfiguration(tree, 'loa').targets!.dev.options.processes[1].args).toContain('28789');
      expect(tree.read(script, 'utf-8')).toBe(edited);
      expect(warnings()).toContain(script);
      expect(warnings()).not.toContain('docker-compose.dev.yml');
      expect(warnings()).not.toContain('target dev');
      expect(readJson(tree, 'apps/loa/.loa-setup.json').options.gatewayPort).toBe(28789);

      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'loa', gatewayPort: 28789 });
      expect(changedSince(tree, before)).toEqual([]);
    });

    it('a rerun without the flags keeps what the last run chose (given > recorded > default), says which it reused, and a new flag still updates', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa', identityRoot: 'services/id', ci: 'none', healthPort: 3313, gatewayPort: 18313 });
      const before = snapshot(tree);
      info.mockClear();
      await setupGenerator(tree, { project: 'loa' });
      expect(info.mock.calls.map((call: unknown[]) => String(call[0]))).toEqual([
        'Reused the options apps/loa/.loa-setup.json recorded, not given this time: --identityRoot=services/id --gatewayPort=18313 --healthPort=3313 --ci=none (pass a flag to change one)',
      ]);
      expect(changedSince(tree, before)).toEqual([]);
      expect(tree.exists('libs/loa-identity')).toBe(false);
      expect(tree.exists('.github/workflows/cloudflare-deploy.yml')).toBe(false);
      expect(warn).not.toHaveBeenCalled();

      await setupGenerator(tree, { project: 'loa', healthPort: 3400 });
      expect(parse(tree.read('docker-compose.dev.yml', 'utf-8')!).services['loa-dev'].ports).toEqual(['127.0.0.1:18313:18313', '127.0.0.1:3400:3400']);
      expect(readProjectConfiguration(tree, 'loa').targets!.dev.options.env.LOA_IDENTITY_PORT).toBe('3400');
      expect(readJson(tree, 'apps/loa/.loa-setup.json').options).toMatchObject({ identityRoot: 'services/id', ci: 'none', healthPort: 3400, gatewayPort: 18313 });
      expect(tree.exists('libs/loa-identity')).toBe(false);
    });

    it('schema.json gives no default to a recorded option: Nx would fill it in, and a rerun could not tell it was not typed', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      const properties = JSON.parse(readFileSync(join(import.meta.dirname, 'schema.json'), 'utf8')).properties as Record<string, { default?: unknown }>;
      const recorded = Object.keys(readJson(tree, 'apps/loa/.loa-setup.json').options);
      expect(recorded).toEqual(expect.arrayContaining(['gatewayPort', 'healthPort', 'memoryLimit', 'ci', 'identityRoot', 'baseImage']));
      expect(recorded.filter((name) => properties[name]?.default !== undefined)).toEqual([]);
    });

    it("a Worker name the last run took from the project's name gives way to a wrangler.jsonc written since; a given one stays", async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      tree.write('apps/loa/cloudflare/wrangler.jsonc', '{ "name": "loa-worker", "main": "src/index.ts" }');
      await setupGenerator(tree, { project: 'loa' });
      expect(readJson(tree, 'apps/loa/.loa-setup.json').options.workerName).toBe('loa-worker');

      const named = emptyWorkspace();
      named.write('apps/loa/cloudflare/wrangler.jsonc', '{ "name": "loa-worker", "main": "src/index.ts" }');
      await setupGenerator(named, { project: 'loa', workerName: 'other-worker' });
      const before = snapshot(named);
      await setupGenerator(named, { project: 'loa' });
      expect(changedSince(named, before)).toEqual([]);
      expect(readProjectConfiguration(named, 'loa').targets!.smoke).toEqual({ options: { urls: ['https://other-worker.${CF_SUBDOMAIN}.workers.dev/sandbox-health'] } });
    });

    it.each([
      ['--dockerDir=ops/docker', { dockerDir: 'ops/docker' }, 'ops/docker'],
      ['--preset=deploy after apps', { preset: 'deploy' as const }, 'deploy'],
    ])('moving the docker folder out of the project (%s) writes image whole (its own output, no edit); moving it back leaves it to the plugin again', async (_name, moved, dockerDir) => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      expect(readProjectConfiguration(tree, 'loa').targets!.image).toEqual({ options: { baseImage: 'loa-base:local' } });
      await setupGenerator(tree, { project: 'loa', ...moved });
      expect(warnings()).not.toContain('target image');
      const targets = readProjectConfiguration(tree, 'loa').targets!;
      expect(targets.image).toMatchObject({ executor: '@loa/plugin:image', options: { dockerfile: `${dockerDir}/Dockerfile.dev` } });
      expect(targets['dev-build']).toMatchObject({ executor: '@loa/plugin:dev' });

      await setupGenerator(tree, { project: 'loa', preset: 'apps', dockerDir: 'apps/loa/docker' });
      expect(warnings()).not.toContain('project.json target');
      const back = readProjectConfiguration(tree, 'loa').targets!;
      expect(back.image).toEqual({ options: { baseImage: 'loa-base:local' } });
      expect(Object.keys(back).filter((name) => name.startsWith('dev-'))).toEqual([]);
    });

    it("takes out an implicit dependency of the last run's that the new options replace, and keeps the user's own", async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      const project = readProjectConfiguration(tree, 'loa');
      updateProjectConfiguration(tree, 'loa', { ...project, implicitDependencies: [...project.implicitDependencies!, 'mine'] });
      await setupGenerator(tree, { project: 'loa', preset: 'deploy' });
      const identity = [...getProjects(tree)].find(([, configuration]) => configuration.root === 'deploy/loa-identity')![0];
      expect(readProjectConfiguration(tree, 'loa').implicitDependencies).toEqual(['grimoires', 'claude', 'mine', identity]);
    });

    it.each([
      ['not JSON', () => '{ "options": { ', /^apps\/loa\/\.loa-setup\.json is damaged: it is not valid JSON \(.*\); taken as not recorded/],
      ['"options": null', () => '{ "options": null }', /^apps\/loa\/\.loa-setup\.json is damaged: "options" is null, not an object of options; taken as not recorded/],
      ['no "options"', () => '[]', /^apps\/loa\/\.loa-setup\.json is damaged: "options" is missing, not an object of options/],
    ])('a state file that is %s: one warning naming it and what is wrong, and this run records its options', async (_name, content, message) => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      tree.write('apps/loa/.loa-setup.json', content());
      await setupGenerator(tree, { project: 'loa' });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warnings()).toMatch(message);
      expect(readJson(tree, 'apps/loa/.loa-setup.json').options).toMatchObject({ preset: 'apps', gatewayPort: 18789 });
    });

    it('a recorded value of the wrong type is taken as not recorded, the good ones kept, with one warning that names it', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa', healthPort: 3313 });
      const state = readJson(tree, 'apps/loa/.loa-setup.json');
      tree.write('apps/loa/.loa-setup.json', JSON.stringify({ ...state, options: { ...state.options, gatewayPort: 'abc', ci: ['github'] } }));
      info.mockClear();
      await setupGenerator(tree, { project: 'loa' });
      expect(warnings()).toBe(
        'apps/loa/.loa-setup.json is damaged: "gatewayPort": "abc" is not a number; "ci": ["github"] is not a string; taken as not recorded (given, else the default), and this run records its own options there',
      );
      // The good value still counts: the compose file is the generator's own for it, no edit.
      expect(info.mock.calls.map((call: unknown[]) => String(call[0])).join('\n')).toContain('--healthPort=3313');
      expect(parse(tree.read('docker-compose.dev.yml', 'utf-8')!).services['loa-dev'].ports).toEqual(['127.0.0.1:18789:18789', '127.0.0.1:3313:3313']);
      expect(readJson(tree, 'apps/loa/.loa-setup.json').options).toMatchObject({ gatewayPort: 18789, healthPort: 3313, ci: 'github' });
      const before = snapshot(tree);
      warn.mockClear();
      await setupGenerator(tree, { project: 'loa' });
      expect(changedSince(tree, before)).toEqual([]);
      expect(warn).not.toHaveBeenCalled();
    });

    it('a folder where the state file goes: a clear error before anything is written (not EISDIR when flushed)', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      tree.delete('apps/loa/.loa-setup.json');
      tree.write('apps/loa/.loa-setup.json/keep', '');
      const before = snapshot(tree);
      await expect(setupGenerator(tree, { project: 'loa', gatewayPort: 28789 })).rejects.toThrow(
        /^apps\/loa\/\.loa-setup\.json is a folder, but the generator records the options of its runs in a file there: move the folder away \(or rename it\) and run again$/,
      );
      expect(changedSince(tree, before)).toEqual([]);
    });

    it('--ci=none after a github run: one warning that the workflow still deploys and can be deleted; the file stays', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      const workflow = tree.read('.github/workflows/cloudflare-deploy.yml', 'utf-8');
      await setupGenerator(tree, { project: 'loa', ci: 'none' });
      expect(warnings()).toBe(
        '--ci=none writes no workflow, but .github/workflows/cloudflare-deploy.yml (from the last run, --ci=github) is still there and deploys on every push to main: delete it if you no longer want that',
      );
      expect(tree.read('.github/workflows/cloudflare-deploy.yml', 'utf-8')).toBe(workflow);
      warn.mockClear();
      await setupGenerator(tree, { project: 'loa' });
      expect(warn).not.toHaveBeenCalled();
    });

    it('without a state file, lists what differs as differing from the output for these options, with --force', async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      tree.delete('apps/loa/.loa-setup.json');
      await setupGenerator(tree, { project: 'loa', gatewayPort: 28789 });
      expect(warnings()).toMatch(/^Kept what differs from the generator's output for these options: .*run again with --force .*:\n[^]*^ {2}- docker-compose\.dev\.yml$/m);
      expect(tree.read('docker-compose.dev.yml', 'utf-8')).not.toContain('28789');
    });
  });

  describe('a second project in the same workspace', () => {
    const ROOT = ['docker-compose.dev.yml', '.env.local.example', '.github/workflows/cloudflare-deploy.yml', 'Makefile'];

    it("names the root files as the first project's dev stack (not as edits) and says what --force would do; --force moves it and says so", async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      const loa = ROOT.map((path) => tree.read(path, 'utf-8'));
      await setupGenerator(tree, { project: 'two' });
      expect(ROOT.map((path) => tree.read(path, 'utf-8'))).toEqual(loa);
      const targets = ['dev', 'dev-build', 'dev-shell', 'dev-logs', 'dev-down', 'dev-clean', 'deploy-cf'].map((name) => `Makefile target ${name}`);
      expect(warnings()).toBe(
        [
          "Kept, as project loa's dev stack (apps/loa/.loa-setup.json records it): a workspace has one dev stack (one compose file, Makefile and deploy workflow at its root), and it is loa's; --force would move it to two, and make dev, the compose file and the deploy workflow would then run two, not loa:",
          ...['.env.local.example', ...targets, 'docker-compose.dev.yml', '.github/workflows/cloudflare-deploy.yml'].map((item) => `  - ${item}`),
        ].join('\n'),
      );
      expect(warnings()).not.toContain('Kept what differs');

      warn.mockClear();
      await setupGenerator(tree, { project: 'two', force: true });
      expect(parse(tree.read('docker-compose.dev.yml', 'utf-8')!).services['loa-dev'].build.dockerfile).toBe('apps/two/docker/Dockerfile.dev');
      expect(tree.read('Makefile', 'utf-8')).toContain('\tnpx nx run two:dev\n'.replace('npx nx', '$(NX)'));
      expect(warnings()).toMatch(/^Moved the workspace's dev stack from project loa \(apps\/loa\/\.loa-setup\.json\) to two \(--force\): [^\n]*run the generator for loa with --force to move it back:\n {2}- \.env\.local\.example$/m);
    });

    it("a file of the first project's the user edited is still listed as an edit", async () => {
      const tree = emptyWorkspace();
      await setupGenerator(tree, { project: 'loa' });
      tree.write('docker-compose.dev.yml', tree.read('docker-compose.dev.yml', 'utf-8')!.replace('memory: 4G', 'memory: 6G'));
      await setupGenerator(tree, { project: 'two' });
      expect(warnings()).toMatch(/^Kept what differs from the generator's output for these options: [^]*\n {2}- docker-compose\.dev\.yml$/m);
      const stack = warn.mock.calls.map((call: unknown[]) => String(call[0])).find((line: string) => line.startsWith("Kept, as project loa's dev stack"));
      expect(stack).toContain('- Makefile target dev\n');
      expect(stack).not.toContain('docker-compose.dev.yml');
    });
  });

  it("uses --preset=deploy when none is given in a workspace in the seed's layout, and says so", async () => {
    const tree = emptyWorkspace();
    tree.write('deploy/cloudflare/wrangler.jsonc', '{ "name": "seed-worker" }');
    await setupGenerator(tree, { project: 'seed' });
    expect(readProjectConfiguration(tree, 'seed').root).toBe('deploy');
    expect(tree.exists('deploy/Dockerfile.dev')).toBe(true);
    expect(tree.exists('apps')).toBe(false);
    expect(info.mock.calls.map((call: unknown[]) => String(call[0])).join('\n')).toContain("Using --preset=deploy: deploy/cloudflare is there (the seed's layout)");
  });

  it.each(['makefile', 'GNUmakefile'])('merges into an existing %s (the one make reads) instead of writing a second Makefile', async (name) => {
    const tree = emptyWorkspace();
    tree.write(name, 'build:\n\tcargo build\n');
    await setupGenerator(tree, { project: 'loa' });
    expect(tree.exists('Makefile')).toBe(false);
    expect(tree.read(name, 'utf-8')).toMatch(/^build:\n\tcargo build\n\n# Added by nx g @loa\/plugin:setup[^]*\ndev-build:\n/);
  });

  describe('.gitignore: entries it already ignores by a broader pattern are not added again', () => {
    it.each([
      ['.env*, /.wrangler, .loa', 'node_modules\n.env*\n/.wrangler\n.loa\n'],
      ['*.local, .wrangler/, .loa/*', '*.local\n.wrangler/\n.loa/*\n'],
      ['**/.env.*, /.wrangler/**, /.loa/', '**/.env.*\n/.wrangler/**\n/.loa/\n'],
    ])('%s', async (_name, gitignore) => {
      const tree = emptyWorkspace();
      tree.write('.gitignore', gitignore);
      await setupGenerator(tree, { project: 'loa' });
      expect(tree.read('.gitignore', 'utf-8')).toBe(gitignore);
    });

    it('adds what a pattern does not cover: un-ignored by !, a file-only pattern for a folder, a narrower one', async () => {
      const tree = emptyWorkspace();
      tree.write('.gitignore', '.env*\n!.env.local\n.wrangler/\n.loa/data\n');
      await setupGenerator(tree, { project: 'loa' });
      expect(tree.read('.gitignore', 'utf-8')).toMatch(/\n\.loa\/data\n\n# nx g @loa\/plugin:setup[^\n]*\n\.env\.local\n\.loa\/\n$/);
    });
  });

  describe('a workspace that opted out of inferred targets', () => {
    it.each([
      ['nx.json useInferencePlugins: false', (tree: Tree) => tree.write('nx.json', JSON.stringify({ useInferencePlugins: false }))],
      ['NX_ADD_PLUGINS=false', () => void (process.env.NX_ADD_PLUGINS = 'false')],
    ])('%s: no registration, every target written whole into project.json', async (_name, optOut) => {
      const tree = emptyWorkspace();
      tree.write('apps/loa/cloudflare/wrangler.jsonc', '{ "name": "loa-worker", "main": "src/index.ts" }');
      optOut(tree);
      try {
        await setupGenerator(tree, { project: 'loa' });
      } finally {
        delete process.env.NX_ADD_PLUGINS;
      }
      expect(readNxJson(tree)?.plugins ?? []).toEqual([]);
      const targets = readProjectConfiguration(tree, 'loa').targets!;
      for (const name of ['deploy', 'smoke', 'image', 'dev', 'dev-build', 'dev-shell', 'dev-logs', 'dev-down', 'dev-clean']) {
        expect([name, targets[name]?.executor]).toEqual([name, expect.stringMatching(/^@loa\/plugin:/)]);
      }
    });
  });

  describe('wrangler, which the deploy target runs, in devDependencies', () => {
    it("adds the wrangler this plugin is tested with (the root package.json's), and returns the install nx g runs", async () => {
      const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
      expect(WRANGLER_VERSION).toBe(root.devDependencies.wrangler);
      const tree = emptyWorkspace();
      const install = await setupGenerator(tree, { project: 'loa' });
      expect(readJson(tree, 'package.json').devDependencies.wrangler).toBe(WRANGLER_VERSION);
      expect(typeof install).toBe('function');
    });

    it("keeps the workspace's own wrangler at its version", async () => {
      const tree = emptyWorkspace();
      tree.write('package.json', JSON.stringify({ name: 'w', devDependencies: { wrangler: '4.100.0' } }));
      await setupGenerator(tree, { project: 'loa' });
      expect(readJson(tree, 'package.json').devDependencies).toEqual({ wrangler: '4.100.0' });
    });

    it('without a package.json: one warning that wrangler was not added, with the command that adds it', async () => {
      const tree = emptyWorkspace();
      tree.delete('package.json');
      expect(await setupGenerator(tree, { project: 'loa' })).toBeUndefined();
      expect(tree.exists('package.json')).toBe(false);
      expect(warn.mock.calls.map((call: unknown[]) => String(call[0]))).toEqual([
        `The workspace has no package.json, so wrangler (which deploy runs) was not added: create one and add it before deploying (npm i -D wrangler@${WRANGLER_VERSION})`,
      ]);
    });

    it('--skipPackageJson leaves package.json alone and installs nothing', async () => {
      const tree = emptyWorkspace();
      const before = tree.read('package.json', 'utf-8');
      expect(await setupGenerator(tree, { project: 'loa', skipPackageJson: true })).toBeUndefined();
      expect(tree.read('package.json', 'utf-8')).toBe(before);
    });
  });

  describe(".dockerignore: the engine Dockerfile.dev copies is put back where the user's file leaves it out", () => {
    const ENGINE = 'node_modules/@loa/plugin/engine';
    async function generateWith(dockerignore: string): Promise<string> {
      const tree = emptyWorkspace();
      // A production Dockerfile of the user's: the generator writes no .dockerignore of its own then.
      tree.write('apps/loa/docker/Dockerfile', 'FROM node:22\n');
      tree.write('.dockerignore', dockerignore);
      await setupGenerator(tree, { project: 'loa' });
      const first = tree.read('.dockerignore', 'utf-8')!;
      await setupGenerator(tree, { project: 'loa' });
      expect(tree.read('.dockerignore', 'utf-8')).toBe(first);
      return first;
    }

    it.each([['node_modules\n'], ['**/node_modules\n'], ['/node_modules/\n*.log\n'], ['*\n!src\n']])('%j: one line at the end puts it back, once', async (dockerignore) => {
      expect(await generateWith(dockerignore)).toBe(`${dockerignore}\n# nx g @loa/plugin:setup: the dev engine, which Dockerfile.dev copies into the dev image\n!${ENGINE}\n`);
    });

    it.each([['*.log\n.env.local\n'], [`node_modules\n!${ENGINE}\n`], ['node_modules/.cache\n']])('%j leaves it in: untouched', async (dockerignore) => {
      expect(await generateWith(dockerignore)).toBe(dockerignore);
    });
  });

  describe('in a real workspace on disk (an FsTree, as nx g uses)', () => {
    let dir: string;
    beforeEach(() => {
      dir = realpathSync(mkdtempSync(join(tmpdir(), 'loa-setup-fs-')));
      writeFileSync(join(dir, 'package.json'), '{ "name": "ws", "private": true }\n');
      writeFileSync(join(dir, 'nx.json'), '{}\n');
    });
    afterEach(() => {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses, before writing, a path a symlinked folder takes outside the workspace', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'loa-setup-outside-'));
      try {
        symlinkSync(outside, join(dir, 'libs'));
        const tree = new FsTree(dir, false);
        await expect(setupGenerator(tree, { project: 'loa' })).rejects.toThrow(
          /^Refusing to write libs\/loa-identity\/package\.json: libs resolves to .*, outside the workspace .*; nothing was written: replace the symlink with a folder/m,
        );
        expect(readdirSync(outside)).toEqual([]);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it.each([
      ['.git', 'gitlink', { dockerDir: 'gitlink/x' }, /^--dockerDir: gitlink\/x resolves \(through a symlink\) to \.git\/x, inside \.git, git's own data .*: use a folder outside \.git, node_modules and \.nx, or replace the symlink with a folder$/],
      ['.GIT', 'gitlink', { dockerDir: 'gitlink/x' }, /resolves \(through a symlink\) to \.GIT\/x, inside \.git/],
      ['node_modules', 'nmlink', { identityRoot: 'nmlink/foo' }, /^--identityRoot: nmlink\/foo resolves \(through a symlink\) to node_modules\/foo, inside node_modules/],
      ['packages/a/node_modules', 'libs', { identityRoot: 'libs/foo' }, /resolves \(through a symlink\) to packages\/a\/node_modules\/foo, inside node_modules/],
    ])('refuses, before writing, a path a symlink takes into %s (via %s)', async (folder, link, options, message) => {
      mkdirSync(join(dir, folder), { recursive: true });
      symlinkSync(folder, join(dir, link));
      const before = readdirSync(join(dir, folder));
      const tree = new FsTree(dir, false);
      await expect(setupGenerator(tree, { project: 'loa', ...options })).rejects.toThrow(message);
      expect(tree.listChanges()).toEqual([]);
      expect(readdirSync(join(dir, folder))).toEqual(before);
    });

    it('refuses, before writing, a symlinked file that points outside the workspace, and says to replace it with a copy', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'loa-setup-outside-'));
      try {
        writeFileSync(join(outside, '.gitignore'), 'node_modules\n');
        symlinkSync(join(outside, '.gitignore'), join(dir, '.gitignore'));
        const tree = new FsTree(dir, false);
        await expect(setupGenerator(tree, { project: 'loa' })).rejects.toThrow(
          /^Refusing to write \.gitignore: \.gitignore resolves to .*\/\.gitignore, outside the workspace .*; nothing was written: replace the symlink with a copy of the file it points to, and run again$/m,
        );
        expect(readFileSync(join(outside, '.gitignore'), 'utf8')).toBe('node_modules\n');
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('--force onto a read-only file: one error naming it and the fix, and nothing written (Nx would stop halfway)', () => {
      writeFileSync(join(dir, 'docker-compose.dev.yml'), 'services: {}\n');
      chmodSync(join(dir, 'docker-compose.dev.yml'), 0o444);
      const before = readdirSync(dir).sort();
      const { status, output } = runUnprivileged(dir, { project: 'loa', force: true, skipFormat: true });
      expect(output).toMatch(/Cannot write docker-compose\.dev\.yml: docker-compose\.dev\.yml is not writable for this user; nothing was written: make it writable \(chmod u\+w docker-compose\.dev\.yml\)/);
      expect(status).toBe(1);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(readFileSync(join(dir, 'docker-compose.dev.yml'), 'utf8')).toBe('services: {}\n');
    });

    it('a folder it cannot create files in: named, nothing written', () => {
      mkdirSync(join(dir, 'apps/loa/docker'), { recursive: true });
      chmodSync(join(dir, 'apps/loa/docker'), 0o555);
      const { status, output } = runUnprivileged(dir, { project: 'loa', skipFormat: true });
      expect(output).toMatch(/Cannot write apps\/loa\/docker\/Dockerfile\.dev: apps\/loa\/docker is not writable for this user; nothing was written: make it writable \(chmod u\+w apps\/loa\/docker\)/);
      expect(status).toBe(1);
      expect(existsSync(join(dir, '.env.local.example'))).toBe(false);
      chmodSync(join(dir, 'apps/loa/docker'), 0o755);
    });
  });

  it("restarts identity on a persona change, instead of running a regenerate-soul.ts the user's identity does not have", async () => {
    const tree = emptyWorkspace();
    tree.write('libs/loa-identity/src/main.ts', 'console.log("mine");\n');
    await setupGenerator(tree, { project: 'loa' });
    const rules = readProjectConfiguration(tree, 'loa').targets!.dev.options.rules as { match: string[]; run?: unknown; restart?: string[] }[];
    expect(rules.find((rule) => rule.match.includes('grimoires/loa/BEAUVOIR.md'))).toEqual(expect.objectContaining({ restart: ['identity'] }));
    expect(JSON.stringify(rules)).not.toContain('regenerate-soul.ts"');
  });

  it('depends on a folder once when two roots name it', async () => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'loa', identityRoot: 'content', grimoiresRoot: 'content', claudeRoot: 'content' });
    expect(readProjectConfiguration(tree, 'loa').implicitDependencies).toEqual(['content']);
  });

  it("derives a Worker name Cloudflare accepts from the project's name when there is no wrangler.jsonc", async () => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'My_App' });
    expect(readProjectConfiguration(tree, 'My_App').targets!.smoke.options.urls).toEqual(['https://my-app.${CF_SUBDOMAIN}.workers.dev/sandbox-health']);
  });

  describe('an existing Makefile', () => {
    const USER = ['# mine', 'build:', '\tcargo build', '', 'dev:', '\t./my-dev.sh', ''].join('\n');

    it("keeps the user's targets and appends only the missing ones; a second run changes nothing; --force replaces ours", async () => {
      const tree = emptyWorkspace();
      tree.write('Makefile', USER);
      await setupGenerator(tree, { project: 'loa' });
      const merged = tree.read('Makefile', 'utf-8')!;
      expect(merged.startsWith(USER)).toBe(true);
      expect(merged).toContain('\nNX ?= npx nx\n.PHONY: help dev-build dev-shell dev-logs dev-down dev-clean deploy-cf\n');
      expect(merged).toContain('\ndev-build:\n\t$(NX) run loa:dev-build\n');
      expect(merged.match(/^dev:/gm)).toHaveLength(1);
      expect(warnings()).toContain('Makefile target dev');

      const before = snapshot(tree);
      await setupGenerator(tree, { project: 'loa' });
      expect(changedSince(tree, before)).toEqual([]);

      await setupGenerator(tree, { project: 'loa', force: true });
      const forced = tree.read('Makefile', 'utf-8')!;
      expect(forced).toContain('build:\n\tcargo build\n');
      expect(forced).toContain('dev:\n\t$(NX) run loa:dev\n');
      expect(forced).not.toContain('my-dev.sh');
    });

    it.each([
      ['a rule of two targets', 'dev dev-down:\n\t./both.sh\n'],
      ['a continued rule line', 'dev: \\\n  deps\n\t./dev.sh\n'],
      ['a target-specific variable and the rule', 'dev: FOO=1\ndev:\n\t./dev.sh\n'],
      ['a rule inside ifeq', 'ifeq ($(X),1)\ndev:\n\t./a.sh\nelse\ndev:\n\t./b.sh\nendif\n'],
      ['a custom .RECIPEPREFIX', '.RECIPEPREFIX = >\ndev:\n> ./dev.sh\n'],
    ])('--force leaves %s whole (listed, to merge by hand) instead of cutting it apart', (_name, existing) => {
      const ours = 'NX ?= npx nx\n\ndev:\n\t$(NX) run loa:dev\n\ndev-down:\n\t$(NX) run loa:dev-down\n';
      const forced = mergeMakefile(existing, ours, true);
      expect(forced.content.startsWith(existing)).toBe(true);
      expect(forced.manual).toContain('dev');
      expect(mergeMakefile(existing, ours, false).manual).toContain('dev');
    });

    it('--force replaces a recipe with blank and comment lines among its lines whole', () => {
      const ours = 'dev:\n\t$(NX) run loa:dev\n';
      const forced = mergeMakefile('dev:\n\techo a\n\n# b next\n\techo b\n\nall:\n\techo all\n', ours, true);
      expect(forced.content).toBe('dev:\n\t$(NX) run loa:dev\n\nall:\n\techo all\n');
    });

    it('extends a CRLF Makefile in CRLF', () => {
      const ours = 'NX ?= npx nx\n\ndev:\n\t$(NX) run loa:dev\n\nhelp:\n\t@echo help\n';
      const merge = mergeMakefile('build:\r\n\tcargo build\r\nhelp:\r\n\t@echo help\r\n', ours, false);
      expect(merge).toMatchObject({ added: ['dev'], differing: [] });
      expect(merge.content.replace(/\r\n/g, '')).not.toContain('\n');
      expect(mergeMakefile(merge.content, ours, false)).toMatchObject({ content: merge.content, differing: [], added: [] });
    });

    it('ignores variables and comments that look like rules', () => {
      const existing = 'CC := gcc\n# dev: not a rule\nall:\n\techo all\n';
      const ours = 'NX := npx nx\n\ndev:\n\t$(NX) run loa:dev\n';
      const merge = mergeMakefile(existing, ours, false);
      expect(merge.added).toEqual(['dev']);
      expect(mergeMakefile(merge.content, ours, false).content).toBe(merge.content);
    });
  });

  describe('bad input: a clear error, nothing written', () => {
    const cases: [string, Record<string, unknown>, RegExp, (tree: Tree) => void][] = [
      ['an unknown preset', { preset: 'seed' }, /Unknown preset "seed": use --preset=apps .* or --preset=deploy/, () => undefined],
      ['a port out of range', { gatewayPort: 70000 }, /--gatewayPort=70000 is not a port: use a whole number from 1 to 65535/, () => undefined],
      ['port 0', { healthPort: 0 }, /--healthPort=0 is not a port/, () => undefined],
      ['a fractional port', { healthPort: 30.5 }, /--healthPort=30.5 is not a port/, () => undefined],
      ['the same port twice', { healthPort: 18789 }, /both 18789/, () => undefined],
      ['a project name Nx rejects', { project: '1loa' }, /--project="1loa" is not a name Nx accepts/, () => undefined],
      ['a project name with a colon', { project: 'loa:dev' }, /is not a name Nx accepts/, () => undefined],
      ['a file where a folder is needed', { identityRoot: 'libs/identity' }, /libs\/identity is a file, but identityRoot must be a folder: move the file away or pass --identityRoot=/, (tree) => tree.write('libs/identity', 'x')],
      ['a Windows drive path', { grimoiresRoot: 'a:b' }, /--grimoiresRoot="a:b" must be a folder inside the workspace/, () => undefined],
      ['a path outside the workspace', { dockerDir: '../docker' }, /--dockerDir="..\/docker" must be a folder inside the workspace/, () => undefined],
      ['a bad memory limit', { memoryLimit: '4GB' }, /--memoryLimit="4GB" is not a memory size/, () => undefined],
      ['a memory limit too small for Node and the gateway', { memoryLimit: '1M' }, /^--memoryLimit=1M is too little for the dev container: .*; use 512M or more \(e\.g\. --memoryLimit=4G\)$/, () => undefined],
      ['511M', { memoryLimit: '511M' }, /--memoryLimit=511M is too little/, () => undefined],
      ...['99999999999999999999G', '1025G', '1048577M', `9${'0'.repeat(400)}M`].map(
        (memoryLimit): [string, Record<string, unknown>, RegExp, (tree: Tree) => void] => [
          `a memory limit over 1024G: ${memoryLimit.slice(0, 24)}`,
          { memoryLimit },
          /^--memoryLimit=\d+[MG] is more than a dev container can have: use at most 1024G \(e\.g\. --memoryLimit=4G\)$/,
          () => undefined,
        ],
      ),
      ['an unknown ci', { ci: 'gitlab' }, /--ci="gitlab" is not a choice/, () => undefined],
      ['a bad Worker name', { workerName: 'My_Worker' }, /--workerName="My_Worker" is not a Worker name/, () => undefined],
      ['a folder where the Makefile goes', {}, /Makefile is a folder, but the generator writes a file there/, (tree) => tree.write('Makefile/.keep', '')],
      ['a folder where the compose file goes', {}, /docker-compose.dev.yml is a folder/, (tree) => tree.write('docker-compose.dev.yml/.keep', '')],
      ['a folder where .gitignore goes', {}, /\.gitignore is a folder/, (tree) => { tree.delete('.gitignore'); tree.write('.gitignore/.keep', ''); }],
      ['a scoped project name that is not a path Nx accepts', { project: '@scope' }, /--project="@scope" is not a name Nx accepts/, () => undefined],
      ['a folder below a file (ENOTDIR when flushed)', { identityRoot: 'README.md/identity' }, /README.md is a file, but identityRoot \(README.md\/identity\) must be a folder/, (tree) => tree.write('README.md', '# x')],
      ['a path with a space (split by the start script)', { identityRoot: 'my identity' }, /--identityRoot="my identity": use a folder name without spaces/, () => undefined],
      ['a path starting with ~ (expanded by the shell)', { claudeRoot: '~/claude' }, /--claudeRoot="~\/claude": use a folder name without spaces/, () => undefined],
      ['a path with a colon (a compose volume separator)', { grimoiresRoot: 'content/a:b' }, /--grimoiresRoot="content\/a:b": use a folder name/, () => undefined],
      ['a path part starting with -', { dockerDir: 'x/-rf' }, /--dockerDir="x\/-rf": use a folder name/, () => undefined],
      ['a project name with $ (expanded by make)', { project: 'loa$(HOME)' }, /--project="loa\$\(HOME\)": use a name without/, () => undefined],
      ['a project name with ; (a second shell command)', { project: 'loa;rm' }, /--project="loa;rm": use a name without/, () => undefined],
      ...['a"b', 'a}b', 'x\\', '$x', 'ghcr.io/You/loa:main', 'loa:', 'loa@sha256:abc', 'a b', 'Foo/bar', 'Foo/bar:1', 'LOA', 'My-Registry/loa'].map(
        (baseImage): [string, Record<string, unknown>, RegExp, (tree: Tree) => void] => [
          `a base image that is no Docker image reference: ${baseImage}`,
          { baseImage },
          /is not a Docker image reference: use \[registry\[:port\]\/\]name\[:tag\]\[@sha256:<digest>\], the name in lowercase \(e\.g\. --baseImage=ghcr\.io\/you\/loa:main/,
          () => undefined,
        ],
      ),
      ["a path inside .GIT (git's folder on a case-insensitive file system)", { dockerDir: '.GIT/x' }, /^--dockerDir="\.GIT\/x" is inside \.git, git's own data/, () => undefined],
      ['a base image name over 255 characters (Docker refuses it)', { baseImage: `ghcr.io/${'a'.repeat(248)}:main` }, /^--baseImage="ghcr\.io\/a+…" has a name of 256 characters: Docker takes at most 255 \(registry and path, without the tag\): use a shorter one$/, () => undefined],
      ['a path inside .git', { identityRoot: './.git/hooks' }, /^--identityRoot="\.\/\.git\/hooks" is inside \.git, git's own data .*: use a folder outside \.git, node_modules and \.nx \(e\.g\. --identityRoot=/, () => undefined],
      ['a path inside node_modules, at any depth', { dockerDir: 'packages/node_modules/docker' }, /^--dockerDir="packages\/node_modules\/docker" is inside node_modules, the package manager's \(an install removes what is there\): use a folder outside/, () => undefined],
      ['a path inside .nx', { cloudflareDir: '.nx/cloudflare' }, /^--cloudflareDir="\.nx\/cloudflare" is inside \.nx, Nx's cache and workspace data \(nx reset removes it\)/, () => undefined],
      ['a project name that puts the project inside node_modules', { project: 'node_modules' }, /^--project="node_modules" would put the project at apps\/node_modules, inside node_modules, .*: choose another name \(e\.g\. --project=loa\)$/, () => undefined],
      ['a scoped one', { project: '@x/node_modules' }, /^--project="@x\/node_modules" would put the project at apps\/@x\/node_modules, inside node_modules/, () => undefined],
    ];
    it.each(cases)('%s', async (_name, options, message, prepare) => {
      const tree = emptyWorkspace();
      prepare(tree);
      const before = snapshot(tree);
      await expect(setupGenerator(tree, { project: 'loa', ...options })).rejects.toThrow(message);
      expect(changedSince(tree, before)).toEqual([]);
    });
  });

  it.each([
    'ghcr.io/0xhoneyjar/loa-beauvoir:main',
    'loa-base:local',
    'localhost:5000/a/b:1.2',
    `ghcr.io/you/loa@sha256:${'0123456789abcdef'.repeat(4)}`,
    `docker.io/library/node:22-slim@sha256:${'a'.repeat(64)}`,
    // Uppercase in a registry host: one with a dot, a port, or localhost.
    'Registry.Example.com/a/b:1',
    'MyHost:5000/loa',
    `ghcr.io/${'a'.repeat(247)}:${'t'.repeat(100)}`,
  ])('takes the image reference %s, into Dockerfile.dev and the compose file as it is', async (baseImage) => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'loa', baseImage });
    expect(tree.read('apps/loa/docker/Dockerfile.dev', 'utf-8')).toContain(`\nARG BASE_IMAGE=${baseImage}\n`);
    expect(parse(tree.read('docker-compose.dev.yml', 'utf-8')!).services['loa-dev'].build.args.BASE_IMAGE).toBe(`\${LOA_BASE_IMAGE:-${baseImage}}`);
  });

  it.each(['512M', '1G', '1024G', '1048576M'])('takes --memoryLimit=%s (512M is the least, 1024G the most)', async (memoryLimit) => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'loa', memoryLimit });
    expect(tree.read('docker-compose.dev.yml', 'utf-8')).toContain(`memory: ${memoryLimit}\n`);
    const megabytes = Number.parseInt(memoryLimit, 10) * (memoryLimit.endsWith('G') ? 1024 : 1);
    expect(tree.read('docker-compose.dev.yml', 'utf-8')).toContain(`NODE_OPTIONS: "--max-old-space-size=${megabytes}"`);
  });

  it('takes a folder named .nx below the root (only the root one is Nx\'s)', async () => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'loa', grimoiresRoot: 'docs/.nx' });
    expect(readJson(tree, 'apps/loa/.loa-setup.json').options.grimoiresRoot).toBe('docs/.nx');
  });

  it('writes a path given as a/./b//c as a/b/c (the globs match only the plain form)', async () => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'loa', identityRoot: './libs/./identity//svc/' });
    expect(tree.exists('libs/identity/svc/src/main.ts')).toBe(true);
    const dev = JSON.stringify(readProjectConfiguration(tree, 'loa').targets!.dev);
    expect(dev).toContain('"libs/identity/svc/src/main.ts"');
    expect(dev).not.toContain('/./');
    expect(dev).not.toContain('svc//');
  });

  it("appends to a CRLF .gitignore in CRLF, and a second run changes nothing", async () => {
    const tree = emptyWorkspace();
    tree.write('.gitignore', 'node_modules\r\n.nx\r\n');
    await setupGenerator(tree, { project: 'loa' });
    const gitignore = tree.read('.gitignore', 'utf-8')!;
    expect(gitignore).toMatch(/^node_modules\r\n\.nx\r\n\r\n# nx g @loa\/plugin:setup[^\n]*\r\n\.env\.local\r\n\.wrangler\/\r\n\.loa\/\r\n$/);
    expect(gitignore.replace(/\r\n/g, '')).not.toContain('\n');
    const before = snapshot(tree);
    await setupGenerator(tree, { project: 'loa' });
    expect(changedSince(tree, before)).toEqual([]);
  });

  it('the starter identity runs and answers /health, replaying its log', async () => {
    const tree = emptyWorkspace();
    await setupGenerator(tree, { project: 'loa', healthPort: 39217 });
    const dir = mkdtempSync(join(tmpdir(), 'loa-starter-'));
    try {
      for (const path of ['libs/loa-identity/package.json', 'libs/loa-identity/src/main.ts', 'libs/loa-identity/src/soul.ts']) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), tree.read(path)!);
      }
      mkdirSync(join(dir, 'grimoires/loa'), { recursive: true });
      writeFileSync(join(dir, 'grimoires/loa/BEAUVOIR.md'), '# Me\n');
      for (const start of [1, 2]) {
        const health = await runUntilHealthy(dir, 39217);
        expect(health).toMatchObject({ ok: true, service: 'identity', start });
      }
      expect(readFileSync(join(dir, '.loa/workspace/SOUL.md'), 'utf8')).toContain('# Me\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function writeFileSyncTree(tree: Tree, path: string, value: unknown): void {
  tree.write(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Starts the starter identity in `dir`, waits for /health, stops it (SIGTERM) and returns the answer. */
async function runUntilHealthy(dir: string, port: number): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['libs/loa-identity/src/main.ts'], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        return (await response.json()) as Record<string, unknown>;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolvePromise) => setTimeout(resolvePromise, 50));
      }
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
