import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { copyTrackedFiles } from '../../../tools/testing/workspace-copy.ts';

/**
 * `nx run-many -t lint` (in npm test and CI) lints every project with code, and the module-boundary
 * rule does fail: on a copy of this workspace, a dependency the tags forbid and an undeclared relative
 * import across projects each make lint exit non-zero with the rule's message. (That the workspace
 * itself passes is `nx run-many -t lint`, in npm test and CI.)
 */
const REPO = resolve(import.meta.dirname, '../../..');
const NX = join(REPO, 'node_modules/.bin/nx');
let dir: string;

function nx(args: string[], cwd = dir) {
  const result = spawnSync(NX, args, { cwd, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_SKIP_NX_CACHE: 'true' } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  dir = copyTrackedFiles(REPO, 'loa-lint-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lint', () => {
  it('every project with code has a lint target', () => {
    const { status, output } = nx(['show', 'projects', '--with-target', 'lint'], REPO);
    expect(status).toBe(0);
    expect(output.split('\n').filter(Boolean).sort()).toEqual(['claude', 'dev-engine', 'loa', 'loa-checks', 'loa-e2e', 'loa-identity', 'plugin', 'tools']);
  });

  it('fails when the identity code (scope:runtime) imports the plugin (scope:tooling)', () => {
    writeFileSync(join(dir, 'libs/loa-identity/src/forbidden.ts'), "import { createNodes } from '@loa/plugin';\nexport const x = createNodes;\n");
    try {
      const { status, output } = nx(['run', 'loa-identity:lint', '--outputStyle=stream']);
      expect(status).not.toBe(0);
      expect(output).toMatch(/A project tagged with "scope:runtime" can only depend on libs tagged with "scope:runtime", "scope:content"/);
    } finally {
      rmSync(join(dir, 'libs/loa-identity/src/forbidden.ts'));
    }
  });

  it('fails on an undeclared relative import into another project (the Worker reaching into tools/)', () => {
    writeFileSync(join(dir, 'apps/loa/cloudflare/src/forbidden.ts'), "import { copyTrackedFiles } from '../../../../tools/testing/workspace-copy.ts';\nexport const x = copyTrackedFiles;\n");
    try {
      const { status, output } = nx(['run', 'loa:lint', '--outputStyle=stream']);
      expect(status).not.toBe(0);
      expect(output).toMatch(/forbidden\.ts[\s\S]*Projects cannot be imported by a relative or absolute path/);
    } finally {
      rmSync(join(dir, 'apps/loa/cloudflare/src/forbidden.ts'));
    }
  });
});
