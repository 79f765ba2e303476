import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runDev } from '../dev-engine/run-dev.ts';
import { devOptions } from '../../testing/dev-options.ts';
import { tempDir, waitFor, writeFile } from '../../testing/fixtures.ts';
import { nativeRuntime } from './native.ts';
import { RuntimeError } from './runtime.ts';

const defaults = devOptions();

describe('native runtime actions', () => {
  let workspace: ReturnType<typeof tempDir>;
  let lines: string[];
  const context = () => ({ root: workspace.path, env: {}, print: (line: string) => lines.push(line) });
  beforeEach(() => {
    workspace = tempDir('loa-native-');
    lines = [];
  });
  afterEach(() => workspace.remove());

  it('clean removes the data folder and says so', async () => {
    writeFile(workspace.path, '.loa/data/identity.wal', '{}\n');
    expect(await nativeRuntime.run({ ...defaults, action: 'clean' }, context())).toBe(0);
    expect(existsSync(join(workspace.path, '.loa/data'))).toBe(false);
    expect(lines).toEqual(['[loa] removed .loa/data (the write-ahead log and other state)']);
  });

  it('clean removes the folder identity writes to: LOA_DATA_DIR from the env file, else the environment, else .loa/data', async () => {
    for (const dir of ['.loa/data', '.loa/other', '.loa/fromfile']) writeFile(workspace.path, `${dir}/identity.wal`, '{}\n');
    const withEnv = (env: NodeJS.ProcessEnv) => ({ ...context(), env });
    expect(await nativeRuntime.run({ ...defaults, action: 'clean' }, withEnv({ LOA_DATA_DIR: '.loa/other' }))).toBe(0);
    expect(lines.at(-1)).toBe('[loa] removed .loa/other (the write-ahead log and other state)');
    expect([existsSync(join(workspace.path, '.loa/other')), existsSync(join(workspace.path, '.loa/data'))]).toEqual([false, true]);
    writeFile(workspace.path, '.env.local', 'LOA_DATA_DIR=.loa/fromfile\n');
    expect(await nativeRuntime.run({ ...defaults, action: 'clean' }, withEnv({ LOA_DATA_DIR: '.loa/data' }))).toBe(0);
    expect(lines.at(-1)).toBe('[loa] removed .loa/fromfile (the write-ahead log and other state)');
    expect(existsSync(join(workspace.path, '.loa/data'))).toBe(true);
  });

  it('down explains that the native runtime stops with Ctrl+C', async () => {
    expect(await nativeRuntime.run({ ...defaults, action: 'down' }, context())).toBe(0);
    expect(lines[0]).toMatch(/Ctrl\+C/);
  });

  it.each(['shell', 'logs', 'build'] as const)('%s needs the docker runtime, and says how to get it', async (action) => {
    await expect(nativeRuntime.run({ ...defaults, action }, context())).rejects.toThrow(new RuntimeError(`action "${action}" needs the docker runtime — run it with --runtime=docker`));
  });
});

describe('native clean never removes what is not the data dir', () => {
  let parent: ReturnType<typeof tempDir>;
  let root: string;
  let outside: string;
  let lines: string[];
  const context = () => ({ root, env: {}, print: (line: string) => lines.push(line) });
  /** Every file and folder under the parent (workspace, .git, the folder beside it), to prove nothing went. */
  const everything = (dir = parent.path): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      return [relative(parent.path, path), ...(entry.isDirectory() ? everything(path) : [])];
    });

  beforeEach(() => {
    parent = tempDir('loa-clean-');
    root = join(parent.path, 'workspace');
    outside = join(parent.path, 'elsewhere');
    writeFile(root, 'libs/app/main.ts', 'export {};\n');
    writeFile(root, '.loa/data/identity.wal', '{}\n');
    writeFile(root, '.gitignore', '.loa/\n');
    writeFile(outside, 'precious.txt', 'not ours\n');
    for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']]) {
      expect(spawnSync('git', args, { cwd: root }).status).toBe(0);
    }
    lines = [];
  });
  afterEach(() => {
    chmodSync(parent.path, 0o700);
    parent.remove();
  });

  const clean = (dataDir: string, force = false) => runDev({ ...devOptions(), runtime: 'native', action: 'clean', dataDir, force }, context());

  it.each([
    ['', /^\[loa\] ERROR: dataDir is empty \(an unset LOA_DATA_DIR\?\): clean would have removed the whole workspace .*workspace, \.git included — nothing removed; set dataDir/],
    ['.', /^\[loa\] ERROR: dataDir "\." is the workspace root \(.*workspace\): clean would have removed .*workspace and everything in it, \.git included — nothing removed/],
    ['libs/..', /is the workspace root/],
    ['..', /^\[loa\] ERROR: dataDir "\.\." is an ancestor of the workspace/],
    ['../elsewhere', /^\[loa\] ERROR: dataDir "\.\.\/elsewhere" is outside the workspace: clean would have removed .*elsewhere — nothing removed; .*or pass --force/],
    ['libs', /^\[loa\] ERROR: dataDir "libs" holds 1 file\(s\) tracked by git \(libs\/app\/main\.ts\): clean would have removed them — nothing removed/],
  ])('refuses dataDir %j, says what would have been removed, exits 1 and removes nothing', async (dataDir, message) => {
    const before = everything();
    expect(await clean(dataDir)).toBe(1);
    expect(lines.at(-1)).toMatch(message);
    expect(everything()).toEqual(before);
  });

  it('refuses git\'s own folder and anything inside it, even with --force', async () => {
    const before = everything();
    for (const dataDir of ['.git', '.git/hooks', './.git/', join(root, '.git/objects')]) {
      for (const force of [false, true]) {
        expect([dataDir, force, await clean(dataDir, force)]).toEqual([dataDir, force, 1]);
        expect(lines.at(-1)).toMatch(/^\[loa\] ERROR: dataDir ".*" is git's own folder or inside it \(.*\): clean would have removed the repository's history — nothing removed/);
      }
    }
    expect(everything()).toEqual(before);
  });

  it('refuses a file, a nested repository and files git neither tracks nor ignores, unless forced', async () => {
    writeFile(root, '.env.local', 'TOKEN=secret\n');
    writeFile(root, 'vendor/lib/README', 'a clone\n');
    expect(spawnSync('git', ['init', '-q'], { cwd: join(root, 'vendor/lib') }).status).toBe(0);
    writeFile(root, 'libs/new/idea.ts', 'export const idea = 1;\n');
    const before = everything();
    expect(await clean('.env.local')).toBe(1);
    expect(lines.at(-1)).toMatch(/^\[loa\] ERROR: dataDir "\.env\.local" is a file, not a folder: clean would have removed .*\.env\.local — nothing removed/);
    expect(await clean('vendor')).toBe(1);
    expect(lines.at(-1)).toMatch(/^\[loa\] ERROR: dataDir "vendor" holds a git repository \(vendor\/lib\/\.git\): clean would have removed it and its history — nothing removed; .*or pass --force/);
    expect(await clean('libs/new')).toBe(1);
    expect(lines.at(-1)).toMatch(/^\[loa\] ERROR: dataDir "libs\/new" holds 1 file\(s\) git neither tracks nor ignores \(libs\/new\/idea\.ts\), new work perhaps .* — nothing removed; .*or pass --force/);
    expect(everything()).toEqual(before);
    expect(await clean('vendor', true)).toBe(0);
    expect(existsSync(join(root, 'vendor'))).toBe(false);
  });

  it('refuses a data dir whose lock a live process holds (dev-clean beside a running dev), unless forced; a stale lock does not count', async () => {
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const procStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeFile(root, '.loa/data/identity.lock', JSON.stringify({ pid: process.ppid, procStart, role: 'loa-identity', port: 3000 }));
    const before = everything();
    expect(await clean('.loa/data')).toBe(1);
    expect(lines.at(-1)).toBe(
      `[loa] ERROR: dataDir ".loa/data" is in use (identity.lock: loa-identity pid ${process.ppid}): removing it now would lose what that process writes next — stop it first (Ctrl+C in the terminal running loa:dev), or pass --force to remove it anyway`,
    );
    // A folder above it holds the lock too.
    expect(await clean('.loa')).toBe(1);
    expect(lines.at(-1)).toMatch(/^\[loa\] ERROR: dataDir "\.loa" is in use \(data\/identity\.lock: loa-identity pid \d+\)/);
    expect(everything()).toEqual(before);
    // The same pid started at another time is someone else: the lock is stale.
    writeFile(root, '.loa/data/identity.lock', JSON.stringify({ pid: process.ppid, procStart: '1', role: 'loa-identity' }));
    expect(await clean('.loa/data')).toBe(0);
    writeFile(root, '.loa/data/identity.lock', JSON.stringify({ pid: process.ppid, procStart }));
    expect(await clean('.loa/data', true)).toBe(0);
    expect(existsSync(join(root, '.loa/data'))).toBe(false);
  });

  it('a lock left by a process that has exited but is not yet reaped (a zombie) does not count', async () => {
    // `sleep 0.1` exits as the child of a process that never reaps it: a zombie whose pid kill(pid, 0) still finds.
    const parentOfZombie = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await new Promise<Buffer>((resolve) => parentOfZombie.stdout!.once('data', resolve))).toString().trim());
      await waitFor('the zombie', () => {
        try {
          return readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
        } catch {
          return false;
        }
      }, 5000);
      writeFile(root, '.loa/data/identity.lock', JSON.stringify({ pid: zombie, role: 'loa-identity' }));
      expect(await clean('.loa/data')).toBe(0);
      expect(existsSync(join(root, '.loa/data'))).toBe(false);
    } finally {
      parentOfZombie.kill('SIGKILL');
    }
  });

  it('refuses the workspace root or an ancestor even with --force', async () => {
    const before = everything();
    for (const dataDir of ['', '.', '..', parent.path]) expect(await clean(dataDir, true)).toBe(1);
    expect(everything()).toEqual(before);
  });

  it('refuses a data dir that leads outside through a symlink (the dir itself or a parent)', async () => {
    symlinkSync(outside, join(root, '.loa/linked'));
    mkdirSync(join(outside, 'data'));
    symlinkSync(outside, join(root, 'via'));
    const before = everything();
    expect(await clean('.loa/linked')).toBe(1);
    expect(lines.at(-1)).toMatch(/leads outside the workspace through a symlink: clean would have removed the link, not the folder it leads to, .*elsewhere — nothing removed; remove the link, or pass --force/);
    expect(await clean('via/data')).toBe(1);
    expect(lines.at(-1)).toMatch(/leads outside the workspace through a symlink: clean would have removed .*elsewhere\/data/);
    expect(everything()).toEqual(before);
  });

  it('with --force, a data dir that is a symlink: removes the link and says so, naming the folder it left alone', async () => {
    writeFile(outside, 'data/identity.wal', '{}\n');
    symlinkSync(join(outside, 'data'), join(root, '.loa/linked'));
    expect(await clean('.loa/linked', true)).toBe(0);
    expect(lines.at(-1)).toBe(`[loa] removed the symlink .loa/linked only; the folder it led to, ${realpathSync(join(outside, 'data'))}, was left alone — delete it yourself if you meant to remove its data`);
    expect([existsSync(join(root, '.loa/linked')), readFileSync(join(outside, 'data/identity.wal'), 'utf8')]).toEqual([false, '{}\n']);

    // A link inside the workspace is no different: the link goes, its folder stays, the message says so.
    writeFile(root, '.loa/real/identity.wal', '{}\n');
    symlinkSync('real', join(root, '.loa/inner'));
    expect(await clean('.loa/inner', true)).toBe(0);
    expect(lines.at(-1)).toBe(`[loa] removed the symlink .loa/inner only; the folder it led to, ${join(realpathSync(root), '.loa/real')}, was left alone — delete it yourself if you meant to remove its data`);
    expect([existsSync(join(root, '.loa/inner')), existsSync(join(root, '.loa/real/identity.wal'))]).toEqual([false, true]);
  });

  it('removes a folder outside the workspace only with --force', async () => {
    expect(await clean(outside, true)).toBe(0);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(join(root, '.git'))).toBe(true);
  });

  it('removes the real data dir, and says so when there is nothing to remove', async () => {
    expect(await clean('.loa/data')).toBe(0);
    expect(existsSync(join(root, '.loa/data'))).toBe(false);
    expect(await clean('.loa/data')).toBe(0);
    expect(lines.at(-1)).toBe('[loa] nothing to remove: .loa/data does not exist');
  });
});
