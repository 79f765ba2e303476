import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeFile } from '../../testing/fixtures.ts';

const BIN = join(__dirname, '../../../bin/loa-dev-engine.mjs');
const USAGE = /^usage: loa-dev-engine \(--project/m;

/**
 * The bundled engine (bin/loa-dev-engine.mjs) builds its bundle on first use and reuses it while it is
 * newer than the sources. A build that fails half-way (a full disk) must not leave a bundle that is
 * reused, and a folder it cannot build in must not stop the engine.
 */
describe('the engine bundle', () => {
  let workspace: ReturnType<typeof tempDir>;
  beforeEach(() => (workspace = tempDir('loa-bundle-')));
  afterEach(() => workspace.remove());

  const engine = (bundleDir: string) =>
    spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOA_ENGINE_BUNDLE_DIR: bundleDir } });

  it('an empty cli.mjs newer than the sources (what a full disk left) is rebuilt, not run', () => {
    const bundleDir = join(workspace.path, 'bundle');
    writeFile(bundleDir, 'cli.mjs', '');
    const future = new Date(Date.now() + 3600_000);
    utimesSync(join(bundleDir, 'cli.mjs'), future, future);
    const result = engine(bundleDir);
    expect({ status: result.status, usage: USAGE.test(result.stdout) }).toEqual({ status: 0, usage: true });
    expect(statSync(join(bundleDir, 'cli.mjs')).size).toBeGreaterThan(0);
  });

  it('a folder it cannot build in: one line, then the engine runs from its TypeScript sources; nothing half-built is left', () => {
    writeFile(workspace.path, 'a-file', 'not a folder\n');
    const bundleDir = join(workspace.path, 'a-file/bundle');
    const result = engine(bundleDir);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/^\[loa\] cannot build the engine bundle in .*a-file\/bundle \((EEXIST|ENOTDIR)\); running the TypeScript sources instead — .*LOA_ENGINE_BUNDLE_DIR\n/);
    expect(result.stdout).toMatch(USAGE);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(workspace.path)).toEqual(['a-file']);
  });

  it('builds into a staging folder and moves the files in: no staging folder stays behind', () => {
    const bundleDir = join(workspace.path, 'bundle');
    expect(engine(bundleDir).status).toBe(0);
    expect(existsSync(join(bundleDir, 'cli.mjs'))).toBe(true);
    expect(readdirSync(workspace.path)).toEqual(['bundle']);
  });
});
