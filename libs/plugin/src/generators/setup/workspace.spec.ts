// The generator in a workspace that is not this one, with the real `nx`: a repository in the seed's
// layout (deploy/cloudflare with its wrangler.jsonc, grimoires, .claude, a Makefile of its own) gets the
// whole workflow from one `nx g @loa/plugin:setup --preset=deploy`. Nx then resolves the project with
// every target described (inferred ones included), `nx affected` deploys on an identity, grimoires or
// .claude change and not on a README change, and a second run changes nothing (git status is clean).
// The plugin is local here (copied, resolved through a tsconfig path), and the workspace borrows this
// repository's node_modules, so --skipPackageJson: an install must never run over them. The packed plugin,
// with the defaults (wrangler added and installed), is apps/loa-e2e/src/installed-plugin.e2e.spec.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { showProject } from '../../testing/resolved-project.ts';

const REPO = resolve(import.meta.dirname, '../../../../..');
const PLUGIN = resolve(import.meta.dirname, '../../..');
const ENV = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1' };

function write(dir: string, path: string, content: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

function run(dir: string, command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: ENV });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${output}`);
  return output;
}

/**
 * A workspace in a temp folder with this plugin as a local plugin: libs/plugin and the engine library
 * it builds on (its relative imports reach ../dev-engine), resolved through tsconfig paths, and this
 * repository's node_modules borrowed.
 */
function workspaceWithLocalPlugin(name: string, nxJson: string): string {
  const dir = mkdtempSync(join(tmpdir(), `loa-${name}-`));
  cpSync(PLUGIN, join(dir, 'libs/plugin'), { recursive: true });
  cpSync(join(PLUGIN, '../dev-engine'), join(dir, 'libs/dev-engine'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  write(dir, 'package.json', `{ "name": "${name}", "private": true }\n`);
  write(dir, 'nx.json', nxJson);
  write(dir, 'tsconfig.base.json', JSON.stringify({ compilerOptions: { paths: { '@loa/plugin': ['libs/plugin/src/index.ts'], '@loa/plugin/plugin': ['libs/plugin/src/plugin.ts'] } } }));
  write(dir, '.gitignore', 'node_modules\n.nx\n');
  return dir;
}

describe('nx g @loa/plugin:setup in a repository in the seed layout (real nx)', () => {
  let dir: string;
  beforeAll(() => {
    dir = workspaceWithLocalPlugin('seed', '{}\n');
    write(dir, 'README.md', '# seed\n');
    write(dir, 'deploy/cloudflare/wrangler.jsonc', '// the Worker\n{ "name": "seed-worker", "main": "src/index.ts", "compatibility_date": "2025-09-01" }\n');
    write(dir, 'deploy/cloudflare/src/index.ts', 'export default {};\n');
    write(dir, 'grimoires/loa/BEAUVOIR.md', '# Me\n');
    write(dir, '.claude/settings.json', '{}\n');
    write(dir, 'Makefile', 'test:\n\t./run-tests.sh\n');
    // Another team's project with a Dockerfile.dev and a Worker of its own: none of loa's business.
    write(dir, 'tools/other/project.json', '{ "name": "other" }\n');
    write(dir, 'tools/other/Dockerfile.dev', 'FROM node:22\n');
    write(dir, 'tools/other/wrangler.jsonc', '{ "name": "other-worker", "main": "src/index.ts" }\n');
    const git = (...args: string[]) => run(dir, 'git', ['-c', 'user.email=setup@test', '-c', 'user.name=setup', ...args]);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'the seed');
    const output = run(dir, process.execPath, [join(REPO, 'node_modules/.bin/nx'), 'g', '@loa/plugin:setup', '--project=seed', '--preset=deploy', '--no-interactive', '--skipPackageJson']);
    expect(output).toContain('CREATE deploy/start-loa-dev.sh');
    git('add', '-A');
    git('commit', '-qm', 'nx g @loa/plugin:setup');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a second run changes nothing', () => {
    const output = run(dir, process.execPath, [join(REPO, 'node_modules/.bin/nx'), 'g', '@loa/plugin:setup', '--project=seed', '--preset=deploy', '--no-interactive', '--skipPackageJson']);
    expect(output).not.toMatch(/^(CREATE|UPDATE|DELETE) /m);
    expect(output).not.toContain('Kept');
    expect(run(dir, 'git', ['status', '--porcelain'])).toBe('');
  });

  it('kept the Makefile target of the repository', () => {
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toMatch(/^test:\n\t\.\/run-tests\.sh\n\n# Added by nx g @loa\/plugin:setup/);
  });

  it('the project has every target, each with a description (inferred ones included)', () => {
    const project = showProject(dir, 'seed', ENV);
    expect(project.root).toBe('deploy');
    expect(Object.keys(project.targets).sort()).toEqual(['deploy', 'dev', 'dev-build', 'dev-clean', 'dev-down', 'dev-logs', 'dev-shell', 'image', 'smoke']);
    for (const [name, target] of Object.entries(project.targets)) {
      expect({ name, description: typeof target.metadata?.description }).toEqual({ name, description: 'string' });
    }
    expect(project.targets.image.options).toMatchObject({ dockerfile: 'deploy/Dockerfile.dev', baseImage: 'loa-base:local' });
    expect(project.targets.deploy.options).toMatchObject({ cwd: 'deploy/cloudflare', imageInputs: expect.arrayContaining(['deploy/loa-identity/**']) });
    expect(project.targets.smoke.options).toEqual(expect.objectContaining({ urls: ['https://seed-worker.${CF_SUBDOMAIN}.workers.dev/sandbox-health'] }));
  });

  it("gives no target to another project's Dockerfile.dev or wrangler.jsonc (the registration's include names only seed's)", () => {
    expect(JSON.parse(readFileSync(join(dir, 'nx.json'), 'utf8')).plugins).toEqual([
      expect.objectContaining({ plugin: '@loa/plugin/plugin', include: ['deploy/cloudflare/wrangler.jsonc', 'deploy/Dockerfile.dev'] }),
    ]);
    expect(Object.keys(showProject(dir, 'other', ENV).targets)).toEqual([]);
  });

  it.each([
    ['deploy/loa-identity/src/main.ts', ['seed']],
    ['grimoires/loa/BEAUVOIR.md', ['seed']],
    ['.claude/settings.json', ['seed']],
    ['deploy/cloudflare/src/index.ts', ['seed']],
    ['README.md', []],
  ])('a change to %s deploys %j', (file, projects) => {
    const output = execFileSync(join(dir, 'node_modules/.bin/nx'), ['show', 'projects', '--affected', `--files=${file}`, '-t', 'deploy', '--json'], { cwd: dir, encoding: 'utf8', env: ENV });
    expect(JSON.parse(output)).toEqual(projects);
  });
});

describe('nx g @loa/plugin:setup in a fresh workspace, in a terminal and rerun (real nx)', () => {
  const NX = join(REPO, 'node_modules/.bin/nx');
  let dir: string;
  beforeAll(() => {
    // Answered, so that Nx's own analytics question does not wait in the terminal.
    dir = workspaceWithLocalPlugin('fresh', '{ "analytics": false }\n');
    const git = (...args: string[]) => run(dir, 'git', ['-c', 'user.email=setup@test', '-c', 'user.name=setup', ...args]);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'fresh');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('in a terminal, with no flags, asks nothing it cannot take and runs (Nx makes a `project` prompt a pick-list of the existing projects: no new name)', () => {
    expect(spawnSync('script', ['--version']).status).toBe(0);
    // Nx prompts only in a terminal and outside CI: `script` gives it one; stdin is at its end at once.
    const env: NodeJS.ProcessEnv = { ...ENV };
    delete env.CI;
    const result = spawnSync('script', ['-qec', `${process.execPath} ${NX} g @loa/plugin:setup --dry-run --skipPackageJson`, '/dev/null'], {
      cwd: dir,
      encoding: 'utf8',
      env,
      input: '',
      // Within Jest's 60 s: a prompt waits for ever, and spawnSync cannot be interrupted.
      timeout: 30_000,
    });
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 0, signal: null });
    expect(result.stdout).toContain('CREATE apps/loa/project.json');
  });

  it('a rerun without the flags keeps what the first run chose (Nx fills in no schema default), and says so', () => {
    const nx = (...args: string[]) => run(dir, process.execPath, [NX, 'g', '@loa/plugin:setup', '--no-interactive', '--skipPackageJson', ...args]);
    nx('--identityRoot=services/id', '--ci=none', '--healthPort=3313', '--gatewayPort=18313');
    run(dir, 'git', ['add', '-A']);
    run(dir, 'git', ['-c', 'user.email=setup@test', '-c', 'user.name=setup', 'commit', '-qm', 'setup']);
    const output = nx();
    expect(output).toContain('Reused the options apps/loa/.loa-setup.json recorded, not given this time: --identityRoot=services/id --gatewayPort=18313 --healthPort=3313 --ci=none');
    expect(output).not.toMatch(/^(CREATE|UPDATE|DELETE) /m);
    expect(run(dir, 'git', ['status', '--porcelain'])).toBe('');
  });
});
