import { watch, type FSWatcher } from 'chokidar';
import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';

export interface WatcherOptions {
  root: string;
  /** Paths relative to root. */
  paths: string[];
  /** Absolute paths never watched (the engine's own data, for example). */
  ignorePaths: string[];
  /** Folder names ignored wherever they appear. */
  ignoreNames: string[];
  debounceMs: number;
  /** The longer quiet time once a batch is a burst (a branch switch, a formatter run). */
  burstDebounceMs: number;
  usePolling: boolean;
  pollIntervalMs: number;
}

export type BatchHandler = (files: string[]) => void;

/** More files than this in one batch make it a burst, which waits burstDebounceMs for the rest. */
export const BURST_FILES = 10;

/**
 * Chokidar wrapped into batches: events become one call once the tree has been quiet for debounceMs.
 * A save flushes after the short window; a burst (chokidar reports a 500-file checkout in uneven
 * clumps, since it stats every new file) waits for the longer one, so it still restarts once.
 */
export class BatchingWatcher {
  private watcher: FSWatcher | undefined;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  private readonly options: WatcherOptions;
  private readonly onBatch: BatchHandler;
  private readonly onError: (error: Error) => void;

  constructor(options: WatcherOptions, onBatch: BatchHandler, onError: (error: Error) => void) {
    this.options = options;
    this.onBatch = onBatch;
    this.onError = onError;
  }

  start(): Promise<void> {
    const { root, ignoreNames, ignorePaths } = this.options;
    const ignoredNames = new Set(ignoreNames);
    const ignored = (path: string) => {
      const absolute = resolve(root, path);
      if (ignorePaths.some((p) => absolute === p || absolute.startsWith(p + sep))) return true;
      return relative(root, absolute).split(sep).some((segment) => ignoredNames.has(segment));
    };
    this.watcher = watch(
      this.options.paths.map((p) => resolve(root, p)),
      {
        ignored,
        ignoreInitial: true,
        persistent: true,
        usePolling: this.options.usePolling,
        interval: this.options.pollIntervalMs,
        binaryInterval: this.options.pollIntervalMs,
      },
    );
    const record = (path: string) => {
      this.pending.add(relative(root, path).split(sep).join('/'));
      if (this.timer) clearTimeout(this.timer);
      const quiet = this.pending.size > BURST_FILES ? this.options.burstDebounceMs : this.options.debounceMs;
      this.timer = setTimeout(() => this.flush(), quiet);
    };
    this.watcher.on('add', record).on('change', record).on('unlink', record);
    this.watcher.on('error', (error) => this.onError(error as Error));
    return new Promise((resolvePromise) => this.watcher!.once('ready', () => resolvePromise()));
  }

  private flush(): void {
    this.timer = undefined;
    const files = [...this.pending];
    this.pending.clear();
    if (files.length > 0) this.onBatch(files);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
  }
}

/** Linux's per-user inotify budget, read so the error for a full budget can say how to raise it. */
export function inotifyWatchLimit(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The message for a watcher error, naming the fix where one is known. */
export function describeWatchError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOSPC') {
    const limit = inotifyWatchLimit();
    return (
      `the inotify watch limit is reached${limit ? ` (fs.inotify.max_user_watches=${limit})` : ''} — ` +
      'raise it with: sudo sysctl fs.inotify.max_user_watches=524288, or run with --usePolling'
    );
  }
  if (error.code === 'EMFILE') return 'too many open files for the watcher — raise the limit with: ulimit -n 65536, or run with --usePolling';
  return `file watcher failed: ${error.message}`;
}
