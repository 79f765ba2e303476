import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor, writeFile } from '../../testing/fixtures.ts';
import { BatchingWatcher, describeWatchError, gitIndexLockPath } from './watcher.ts';

describe('BatchingWatcher (real file system events)', () => {
  let workspace: ReturnType<typeof tempDir>;
  let watcher: BatchingWatcher | undefined;
  let batches: string[][];

  beforeEach(() => {
    workspace = tempDir('loa-watch-');
    batches = [];
    writeFile(workspace.path, 'src/a.ts', 'a');
    writeFile(workspace.path, 'src/node_modules/dep/index.js', 'x');
    writeFile(workspace.path, 'data/wal', '');
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    workspace.remove();
  });

  async function watch(overrides: { usePolling?: boolean; debounceMs?: number } = {}) {
    watcher = new BatchingWatcher(
      {
        root: workspace.path,
        paths: ['src', 'data'],
        ignorePaths: [`${workspace.path}/data`],
        ignoreNames: ['node_modules'],
        debounceMs: overrides.debounceMs ?? 30,
        burstDebounceMs: 200,
        usePolling: overrides.usePolling ?? false,
        pollIntervalMs: 50,
      },
      (files) => batches.push(files.sort()),
      (error) => {
        throw error;
      },
    );
    await watcher.start();
  }

  it('reports a save as one batch with the workspace-relative path', async () => {
    await watch();
    writeFile(workspace.path, 'src/a.ts', 'a2');
    await waitFor('batch', () => batches.length > 0);
    expect(batches).toEqual([['src/a.ts']]);
  });

  it('coalesces a 300-file burst, new folder included, into one batch', async () => {
    await watch();
    for (let i = 0; i < 300; i += 1) writeFile(workspace.path, `src/gen/f${i}.ts`, String(i));
    await waitFor('batch', () => batches.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(300);
  });

  it('puts a new folder\'s files in the batch of the save beside them, however long chokidar takes to scan it', async () => {
    // A 1 ms quiet window: the time chokidar needs to scan a new folder (more under load) used to
    // end the batch early, so the save restarted once and the folder's files a second time.
    await watch({ debounceMs: 1 });
    writeFile(workspace.path, 'src/a.ts', 'saved');
    for (let i = 0; i < 500; i += 1) writeFile(workspace.path, `src/gen/deep/f${i}.ts`, String(i));
    await waitFor('batch', () => batches.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(501);
  });

  it('ignores node_modules and the data folder', async () => {
    await watch();
    writeFile(workspace.path, 'src/node_modules/dep/index.js', 'changed');
    writeFile(workspace.path, 'data/wal', 'record');
    writeFile(workspace.path, 'src/b.ts', 'b');
    await waitFor('batch', () => batches.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(batches.flat()).toEqual(['src/b.ts']);
  });

  it('sees changes by polling when asked to (file systems without events)', async () => {
    await watch({ usePolling: true });
    // Polling takes its baseline on the first poll after ready; a write before it is the baseline.
    await new Promise((resolve) => setTimeout(resolve, 150));
    writeFile(workspace.path, 'src/a.ts', 'polled');
    await waitFor('batch', () => batches.length > 0, 5000);
    expect(batches[0]).toEqual(['src/a.ts']);
  });
});

describe('BatchingWatcher: watch roots that go away and come back', () => {
  let workspace: ReturnType<typeof tempDir>;
  let watcher: BatchingWatcher | undefined;
  let batches: string[][];
  let notices: string[];
  beforeEach(() => {
    workspace = tempDir('loa-roots-');
    batches = [];
    notices = [];
    writeFile(workspace.path, 'grimoires/loa/BEAUVOIR.md', 'v1');
    writeFile(workspace.path, 'compose.yml', 'a: 1');
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    workspace.remove();
  });
  async function watch(paths: string[]) {
    watcher = new BatchingWatcher(
      { root: workspace.path, paths, ignorePaths: [], ignoreNames: ['node_modules'], debounceMs: 30, burstDebounceMs: 200, usePolling: false, pollIntervalMs: 50 },
      (files) => batches.push(files.sort()),
      (error) => {
        throw error;
      },
      (notice) => notices.push(notice),
    );
    await watcher.start();
  }
  const batchWith = (file: string) => batches.some((batch) => batch.includes(file));
  const edit = async (file: string, content: string) => {
    batches = [];
    writeFile(workspace.path, file, content);
    await waitFor(`a batch with ${file}`, () => batchWith(file), 5000);
  };

  it('re-attaches a root folder that is deleted and re-created, and says so (chokidar stopped watching it, silently)', async () => {
    await watch(['grimoires']);
    rmSync(join(workspace.path, 'grimoires'), { recursive: true });
    await waitFor('deleted notice', () => notices.find((n) => n.startsWith('grimoires was deleted or renamed')), 5000);
    writeFile(workspace.path, 'grimoires/loa/BEAUVOIR.md', 'v2');
    await waitFor('back notice', () => notices.find((n) => n.startsWith('grimoires is back — watching it again')), 5000);
    await edit('grimoires/loa/BEAUVOIR.md', 'v3');
  });

  it('re-attaches a root folder replaced by a rename', async () => {
    await watch(['grimoires']);
    writeFile(workspace.path, 'other/loa/BEAUVOIR.md', 'other');
    renameSync(join(workspace.path, 'grimoires'), join(workspace.path, 'grimoires.old'));
    renameSync(join(workspace.path, 'other'), join(workspace.path, 'grimoires'));
    await waitFor('replaced notice', () => notices.find((n) => n.startsWith('grimoires was replaced')), 5000);
    await edit('grimoires/loa/BEAUVOIR.md', 'edited after the rename');
    // The folder renamed away is no longer what the rules mean by grimoires/.
    batches = [];
    writeFileSync(join(workspace.path, 'grimoires.old/loa/BEAUVOIR.md'), 'moved away');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(batches.flat().filter((file) => file.startsWith('grimoires/'))).toEqual([]);
  });

  it('watches a root that appears after the start, and a file root that is deleted and re-created', async () => {
    await watch(['later', 'compose.yml']);
    expect(notices).toContain('later does not exist yet — it will be watched once it appears');
    mkdirSync(join(workspace.path, 'later'));
    await waitFor('back notice', () => notices.find((n) => n.startsWith('later is back')), 5000);
    await edit('later/x.ts', 'x');

    rmSync(join(workspace.path, 'compose.yml'));
    await waitFor('deleted notice', () => notices.find((n) => n.startsWith('compose.yml was deleted')), 5000);
    await edit('compose.yml', 'a: 2');
    await edit('compose.yml', 'a: 3');
  });
});

describe('BatchingWatcher: git operations', () => {
  let workspace: ReturnType<typeof tempDir>;
  let watcher: BatchingWatcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    workspace.remove();
  });

  it('holds batches while .git/index.lock exists and releases them, as one, when git is done', async () => {
    workspace = tempDir('loa-gitlock-');
    writeFile(workspace.path, 'src/a.ts', 'a');
    mkdirSync(join(workspace.path, '.git'));
    const batches: string[][] = [];
    const notices: string[] = [];
    watcher = new BatchingWatcher(
      { root: workspace.path, paths: ['src'], ignorePaths: [], ignoreNames: ['.git'], debounceMs: 20, burstDebounceMs: 100, usePolling: false, pollIntervalMs: 50 },
      (files) => batches.push(files.sort()),
      (error) => {
        throw error;
      },
      (notice) => notices.push(notice),
    );
    await watcher.start();

    writeFileSync(join(workspace.path, '.git/index.lock'), '');
    writeFile(workspace.path, 'src/a.ts', 'checked out');
    await waitFor('hold notice', () => notices.includes('a git command is running (.git/index.lock) — holding restarts until it finishes'), 5000);
    writeFile(workspace.path, 'src/b.ts', 'checked out later');
    // Held for as long as the lock is there, whatever the quiet windows say.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(batches).toEqual([]);

    rmSync(join(workspace.path, '.git/index.lock'));
    await waitFor('the held batch', () => batches.length > 0, 5000);
    expect(batches).toEqual([['src/a.ts', 'src/b.ts']]);
    expect(notices.some((notice) => /^git finished — reloading for the changes held \d+ ms$/.test(notice))).toBe(true);
  });

  it('finds the lock of a worktree through its .git file', () => {
    workspace = tempDir('loa-gitfile-');
    writeFile(workspace.path, '.git', 'gitdir: ../main/.git/worktrees/feature\n');
    expect(gitIndexLockPath(workspace.path)).toBe(join(workspace.path, '../main/.git/worktrees/feature/index.lock'));
    expect(gitIndexLockPath(join(workspace.path, 'nowhere'))).toBeUndefined();
  });
});

describe('describeWatchError', () => {
  it('names the fix for a full inotify budget', () => {
    const error = Object.assign(new Error('watch ENOSPC'), { code: 'ENOSPC' });
    expect(describeWatchError(error)).toMatch(/inotify watch limit is reached .*sysctl fs\.inotify\.max_user_watches=524288, or run with --usePolling/);
  });
});
