import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { copyTrackedFiles } from '../../../tools/testing/workspace-copy.ts';

/**
 * `nx affected -t deploy` replaces the seed's path filters. On scripted git history in a copy of this
 * workspace: loa is affected by the deployment's own files, the identity code, grimoires and .claude;
 * not by the plugin, tools, these checks, the workflows, docs, the README or the dev-only compose file.
 */
const REPO = resolve(import.meta.dirname, '../../..');
let dir: string;
let base: string;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}
const git = (...args: string[]) => run('git', ['-c', 'user.name=loa', '-c', 'user.email=loa@test', ...args]);

beforeAll(() => {
  dir = copyTrackedFiles(REPO, 'loa-affected-');
  git('init', '-q', '-b', 'main');
  // The linked node_modules is a symlink, which `node_modules/` in .gitignore does not match.
  appendFileSync(join(dir, '.git/info/exclude'), 'node_modules\n');
  git('add', '-A');
  git('commit', '-qm', 'base');
  base = git('rev-parse', 'HEAD');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The projects `nx show projects --affected` lists for a commit that changes `file`: with a deploy target, or all. */
function affectedBy(file: string, target: 'deploy' | 'any' = 'deploy'): string[] {
  git('checkout', '-q', '--detach', base);
  appendFileSync(join(dir, file), file.endsWith('.json') ? '' : file.endsWith('.yml') ? '\n# changed\n' : '\n// changed\n');
  if (file.endsWith('.json')) writeFileSync(join(dir, file), `${JSON.stringify({ ...JSON.parse(readFileSync(join(dir, file), 'utf8')), $comment: 'changed' }, null, 2)}\n`);
  git('commit', '-qam', `change ${file}`);
  const output = run(join(REPO, 'node_modules/.bin/nx'), ['show', 'projects', '--affected', ...(target === 'deploy' ? ['-t', 'deploy'] : []), `--base=${base}`, '--head=HEAD']);
  return output.split('\n').filter(Boolean).sort();
}

describe('nx affected -t deploy', () => {
  it.each([
    'apps/loa/cloudflare/src/gateway.ts',
    'apps/loa/docker/Dockerfile',
    'libs/loa-identity/src/version.ts',
    'grimoires/loa/BEAUVOIR.md',
    '.claude/settings.json',
    '.claude/lib/persistence/jsonl.ts',
  ])('deploys loa when %s changes', (file) => {
    expect(affectedBy(file)).toEqual(['loa']);
  });

  it.each([
    'libs/dev-engine/src/lib/exec/exec.ts',
    'libs/plugin/src/plugin.ts',
    'tools/bench/reload/run.ts',
    'tools/docker/offline-base.sh',
    'tools/testing/workspace-copy.ts',
    'apps/loa/tests/workflows.spec.ts',
    '.github/workflows/ci.yml',
    'eslint.config.mjs',
    'README.md',
    'docker-compose.dev.yml',
  ])('deploys nothing when only %s changes', (file) => {
    expect(affectedBy(file)).toEqual([]);
  });

  it('a change to tools/ re-runs what uses it (the e2e suite, these checks), and not the deployment', () => {
    expect(affectedBy('tools/testing/workspace-copy.ts', 'any')).toEqual(['loa-checks', 'loa-e2e', 'tools']);
  });

  it('a change to a workflow re-runs the checks that lint it', () => {
    expect(affectedBy('.github/workflows/cloudflare-deploy.yml', 'any')).toEqual(['github-workflows', 'loa-checks']);
  });

  it('deploys loa when nx.json changes (it makes every project affected)', () => {
    expect(affectedBy('nx.json')).toEqual(['loa']);
  });
});
