import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_BUNDLE, tempDir, writeFile } from '../../testing/fixtures.ts';

const SCRIPT = join(import.meta.dirname, '../../../scripts/bundle.mjs');
const USAGE = /^usage: loa-dev-engine \(--project/m;

/**
 * The engine's build (`nx run dev-engine:build`, scripts/bundle.mjs): one folder that runs on Node alone.
 * It is what the dev image copies and what @loa/plugin ships, so it must run with no node_modules in
 * reach, and a build that fails must leave the previous bundle whole.
 */
describe('the engine bundle', () => {
  let workspace: ReturnType<typeof tempDir>;
  beforeEach(() => (workspace = tempDir('loa-bundle-')));
  afterEach(() => workspace.remove());

  const bundle = (outDir: string) => spawnSync(process.execPath, [SCRIPT, outDir], { encoding: 'utf8', timeout: 120_000 });

  it("the build output runs where no node_modules are in reach (as in the dev image): its dependencies are inside", () => {
    // A copy outside the workspace: Node's resolution cannot climb to this repository's node_modules.
    const copy = join(workspace.path, 'opt/loa/engine');
    cpSync(join(ENGINE_BUNDLE, '..'), copy, { recursive: true });
    const result = spawnSync(process.execPath, [join(copy, 'cli.mjs'), '--help'], { encoding: 'utf8', cwd: workspace.path, timeout: 30_000 });
    expect({ status: result.status, usage: USAGE.test(result.stdout), stderr: result.stderr }).toEqual({ status: 0, usage: true, stderr: '' });
    expect(readFileSync(join(copy, 'cli.mjs'), 'utf8')).not.toMatch(/from ["'](chokidar|execa|ajv|yaml|which|picomatch|jsonc-parser)["']/);
    expect(readdirSync(copy)).toEqual(expect.arrayContaining(['cli.mjs', 'standby.mjs', 'package.json']));
  });

  it('on a Node older than its dependencies load on: one line with the version and the fix, exit 1, before any of them loads', () => {
    writeFile(workspace.path, 'old-node.mjs', 'Object.defineProperty(process.versions, "node", { value: "20.19.0" });\n');
    const result = spawnSync(process.execPath, ['--import', join(workspace.path, 'old-node.mjs'), ENGINE_BUNDLE, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 1,
      stdout: '',
      stderr: expect.stringMatching(/^\[loa\] ERROR: loa-dev-engine needs Node ≥ 22\.22; this is Node 20\.19\.0 — install a newer Node, or add the node package \(22\) to the workspace's devDependencies[^\n]*\n$/),
    });
  });

  it('builds into a staging folder and swaps it in: no staging folder stays behind, a second build replaces the first', () => {
    const outDir = join(workspace.path, 'bundle');
    expect(bundle(outDir).status).toBe(0);
    writeFile(outDir, 'stale.mjs', '// from an older build\n');
    const second = bundle(outDir);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/^\[loa\] engine bundled into .*bundle: \d+ files/);
    expect(existsSync(join(outDir, 'stale.mjs'))).toBe(false);
    expect(readdirSync(workspace.path)).toEqual(['bundle']);
  });

  it('a folder it cannot build in: one line naming it, exit 1, the previous bundle kept whole', () => {
    writeFile(workspace.path, 'a-file', 'not a folder\n');
    const failed = bundle(join(workspace.path, 'a-file/bundle'));
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/^\[loa\] ERROR: cannot bundle the engine into .*a-file\/bundle \((EEXIST|ENOTDIR)\): free space or fix that folder's permissions\n$/);
    expect(readdirSync(workspace.path)).toEqual(['a-file']);
  });
});
