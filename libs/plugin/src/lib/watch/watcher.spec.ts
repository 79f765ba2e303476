import { tempDir, waitFor, writeFile } from '../../testing/fixtures.ts';
import { BatchingWatcher, describeWatchError } from './watcher.ts';

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

  async function watch(overrides: { usePolling?: boolean } = {}) {
    watcher = new BatchingWatcher(
      {
        root: workspace.path,
        paths: ['src', 'data'],
        ignorePaths: [`${workspace.path}/data`],
        ignoreNames: ['node_modules'],
        debounceMs: 30,
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

describe('describeWatchError', () => {
  it('names the fix for a full inotify budget', () => {
    const error = Object.assign(new Error('watch ENOSPC'), { code: 'ENOSPC' });
    expect(describeWatchError(error)).toMatch(/inotify watch limit is reached .*sysctl fs\.inotify\.max_user_watches=524288, or run with --usePolling/);
  });
});
