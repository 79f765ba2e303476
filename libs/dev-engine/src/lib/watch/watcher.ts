import { watch, type FSWatcher } from 'chokidar';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';

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
/** How often each watch root is checked for having been deleted, renamed or replaced (one stat per root). */
export const ROOT_CHECK_MS = 300;
/** A batch is never held longer than this by a stream of events or a stalled event loop. */
export const MAX_BATCH_WAIT_MS = 5000;
/**
 * How long a raw notification from the kernel may wait for chokidar's own event before the batch stops
 * waiting for it (a notification chokidar turns into nothing: an atime change, a file gone again).
 */
export const RAW_EVENT_GRACE_MS = 1000;
/** How long restarts wait for a git command to release .git/index.lock before going ahead. */
export const GIT_LOCK_MAX_WAIT_MS = 30_000;
const GIT_LOCK_POLL_MS = 50;

/** The index.lock a git command holds while it rewrites the work tree (a worktree's .git file points to its git dir). */
export function gitIndexLockPath(root: string): string | undefined {
  const dotGit = join(root, '.git');
  try {
    const stats = statSync(dotGit);
    if (stats.isDirectory()) return join(dotGit, 'index.lock');
    const gitdir = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    return gitdir ? join(resolve(root, gitdir), 'index.lock') : undefined;
  } catch {
    return undefined;
  }
}

/** dev:inode:kind of a path, or 'missing': what tells a re-created or renamed root from the one being watched. */
function identityOf(path: string): string {
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}:${stats.isDirectory() ? 'dir' : 'file'}`;
  } catch {
    return 'missing';
  }
}

/**
 * Chokidar wrapped into batches: events become one call once the tree has been quiet for debounceMs.
 * A save flushes after the short window; a burst waits for the longer one, so it still restarts once.
 * What makes that independent of machine load:
 * - a new folder (a checkout, a generator) is listed here, synchronously, the moment its creation is
 *   seen, so all its files join the batch at once; chokidar's own scan of it, which under load can
 *   trickle in after the quiet window, then only repeats files already reported (and is dropped);
 * - a quiet-window timer that fires late (the process did not get the CPU, so events may be waiting
 *   unread) waits one more window instead of trusting the silence;
 * - so does one that fires while chokidar has not yet reported what the kernel already has (its raw
 *   events, the files listed from a new folder): chokidar 6 works through a burst one event at a time,
 *   and under load reports the save that ends a checkout hundreds of milliseconds after the kernel;
 * - while a git command holds .git/index.lock, batches are held and released when it is done.
 * Watch roots are checked for deletion, renaming and re-creation, and re-attached (chokidar stops
 * watching a root that goes away, silently).
 */
export class BatchingWatcher {
  private watcher: FSWatcher | undefined;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** When the current batch began, and when its timer is due. */
  private batchStartedAt = 0;
  private timerDueAt = 0;
  /** Files listed here from a new folder, by absolute path → mtime, so chokidar's later add of the same file is not news. */
  private listed = new Map<string, { mtimeMs: number; at: number; batch: number }>();
  /** Counts flushed batches: a listed file belongs to the batch it was listed in. */
  private batchNumber = 0;
  /** Paths the kernel reported (chokidar's raw event) that chokidar has not yet reported itself, → when. */
  private owed = new Map<string, number>();
  private roots = new Map<string, { relative: string; identity: string }>();
  private rootTimer: NodeJS.Timeout | undefined;
  private gitLock: string | undefined;
  /** A lock that outlived GIT_LOCK_MAX_WAIT_MS (identity), so it does not hold every later batch too. */
  private staleGitLock: string | undefined;
  private heldSince: number | undefined;
  private closed = false;
  private ignored: (path: string) => boolean = () => false;

  private readonly options: WatcherOptions;
  private readonly onBatch: BatchHandler;
  private readonly onError: (error: Error) => void;
  private readonly onNotice: (line: string) => void;

  constructor(options: WatcherOptions, onBatch: BatchHandler, onError: (error: Error) => void, onNotice: (line: string) => void = () => undefined) {
    this.options = options;
    this.onBatch = onBatch;
    this.onError = onError;
    this.onNotice = onNotice;
  }

  start(): Promise<void> {
    const { root, ignoreNames, ignorePaths } = this.options;
    const ignoredNames = new Set(ignoreNames);
    this.ignored = (path: string) => {
      const absolute = resolve(root, path);
      if (ignorePaths.some((p) => absolute === p || absolute.startsWith(p + sep))) return true;
      return relative(root, absolute).split(sep).some((segment) => ignoredNames.has(segment));
    };
    this.gitLock = gitIndexLockPath(root);
    for (const path of this.options.paths) {
      const absolute = resolve(root, path);
      const identity = identityOf(absolute);
      this.roots.set(absolute, { relative: path, identity });
      if (identity === 'missing') this.onNotice(`${path} does not exist yet — it will be watched once it appears`);
    }
    // chokidar never becomes ready over no paths: the engine (awaiting start) then never returned its
    // exit code. Nothing to watch is nothing to wait for.
    if (this.roots.size === 0) return Promise.resolve();
    return this.createWatcher().then((watcher) => {
      this.watcher = watcher;
      this.rootTimer = setInterval(() => this.checkRoots(), ROOT_CHECK_MS);
      this.rootTimer.unref();
    });
  }

  /** A chokidar watcher over every root, ready (its initial scan done). */
  private createWatcher(): Promise<FSWatcher> {
    const watcher = watch([...this.roots.keys()], {
      ignored: this.ignored,
      ignoreInitial: true,
      persistent: true,
      usePolling: this.options.usePolling,
      interval: this.options.pollIntervalMs,
      binaryInterval: this.options.pollIntervalMs,
    });
    const onAdd = (path: string, stats?: { mtimeMs: number }) => {
      const seen = this.listed.get(path);
      if (seen) {
        this.listed.delete(path);
        if (seen.mtimeMs === (stats?.mtimeMs ?? mtimeOf(path))) return;
      }
      this.record(path);
    };
    watcher.on('add', onAdd).on('change', (path) => this.record(path)).on('unlink', (path) => this.record(path));
    watcher.on('unlinkDir', (path) => {
      if (this.roots.has(path)) this.checkRoots();
    });
    watcher.on('raw', (event, name, details) => this.onRaw(event, name, details as { watchedPath?: string }));
    // Whatever chokidar reports, it no longer owes.
    watcher.on('all', (_event, path) => this.owed.delete(path));
    watcher.on('error', (error) => {
      // A root that does not exist (yet, or any more) and a file deleted during a scan are not news:
      // checkRoots attaches a root once it appears. chokidar 6 drops these itself, by `instanceof Error`
      // and the code, but an error from another realm (Jest's vm context) reaches here re-wrapped,
      // without its code: match the message too.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || /^(Error: )?ENOENT\b/.test((error as Error).message)) return;
      this.onError(error as Error);
    });
    return new Promise((resolvePromise) => watcher.once('ready', () => resolvePromise(watcher)));
  }

  /** A folder created (or moved in) inside a watched one: list its files now rather than after chokidar's scan. */
  private onRaw(event: string, name: string | null, details: { watchedPath?: string }): void {
    if (!name || !details?.watchedPath) return;
    // A file root is watched as itself: its notifications name it, not a child.
    const path = this.roots.has(details.watchedPath) && basename(details.watchedPath) === name && !this.roots.get(details.watchedPath)!.identity.endsWith(':dir') ? details.watchedPath : join(details.watchedPath, name);
    if (this.ignored(path)) return;
    this.owed.set(path, Date.now());
    if (event !== 'rename') return;
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      return;
    }
    if (!isDirectory) return;
    const now = Date.now();
    for (const file of this.listFiles(path)) {
      this.listed.set(file.path, { mtimeMs: file.mtimeMs, at: now, batch: this.batchNumber });
      this.record(file.path);
    }
  }

  private listFiles(dir: string): Array<{ path: string; mtimeMs: number }> {
    const files: Array<{ path: string; mtimeMs: number }> = [];
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return files;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (this.ignored(path)) continue;
      if (entry.isDirectory()) files.push(...this.listFiles(path));
      else if (entry.isFile()) files.push({ path, mtimeMs: mtimeOf(path) });
    }
    return files;
  }

  private record(path: string): void {
    if (this.closed) return;
    if (this.pending.size === 0) this.batchStartedAt = Date.now();
    this.pending.add(relative(this.options.root, path).split(sep).join('/'));
    this.arm();
  }

  private quietMs(): number {
    return this.pending.size > BURST_FILES ? this.options.burstDebounceMs : this.options.debounceMs;
  }

  private arm(ms = this.quietMs()): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDueAt = Date.now() + ms;
    this.timer = setTimeout(() => this.onQuiet(), ms);
  }

  private onQuiet(): void {
    this.timer = undefined;
    const now = Date.now();
    const waited = now - this.batchStartedAt;
    // Fired late: the loop was stalled, and events that arrived meanwhile may not be read yet.
    const late = now - this.timerDueAt > Math.max(this.quietMs(), 10);
    if (late && waited < MAX_BATCH_WAIT_MS) return this.arm();
    // chokidar has not yet reported what the kernel already has (see awaitingChokidar): its queue is
    // behind, and what was written last (the save that ends a checkout) is still in it. Quiet here is
    // not quiet on disk: wait for chokidar to catch up (bounded).
    if (this.awaitingChokidar() && waited < MAX_BATCH_WAIT_MS) return this.arm();
    if (this.gitBusy()) return;
    this.flush();
  }

  /**
   * Whether chokidar is behind the kernel: a file this batch listed from a new folder, or (in a burst) a
   * path the kernel reported less than RAW_EVENT_GRACE_MS ago, that chokidar has not reported yet. Under load
   * chokidar 6 handles a burst's events one by one, and reports a save made after a checkout hundreds of
   * milliseconds after the kernel did: quiet in chokidar's events is then not quiet on disk.
   */
  private awaitingChokidar(): boolean {
    for (const seen of this.listed.values()) if (seen.batch === this.batchNumber) return true;
    // Only a burst waits for the kernel's word: a single save is reported at once, and a second raw
    // event for a file chokidar has already reported (a write in two parts) would hold it for nothing.
    if (this.pending.size <= BURST_FILES) return false;
    // Entries past the grace time no longer hold the batch (flush forgets them).
    const recent = Date.now() - RAW_EVENT_GRACE_MS;
    for (const at of this.owed.values()) if (at >= recent) return true;
    return false;
  }

  /** True while a git command holds the index lock: the batch waits (bounded), and the user is told. */
  private gitBusy(): boolean {
    if (!this.gitLock) return false;
    const lock = identityOf(this.gitLock);
    if (lock === 'missing' || lock === this.staleGitLock) {
      if (this.heldSince !== undefined) {
        this.onNotice(`git finished — reloading for the changes held ${Date.now() - this.heldSince} ms`);
        this.heldSince = undefined;
        // Git's last writes may still be on their way: one more quiet window first.
        if (lock === 'missing') {
          this.arm();
          return true;
        }
      }
      return false;
    }
    const now = Date.now();
    if (this.heldSince === undefined) {
      this.heldSince = now;
      this.onNotice(`a git command is running (.git/index.lock) — holding restarts until it finishes`);
    } else if (now - this.heldSince >= GIT_LOCK_MAX_WAIT_MS) {
      this.onNotice(
        `.git/index.lock is still there after ${GIT_LOCK_MAX_WAIT_MS / 1000} s — reloading anyway; if no git command is running the lock is stale: remove it (rm .git/index.lock)`,
      );
      this.staleGitLock = lock;
      this.heldSince = undefined;
      return false;
    }
    this.arm(GIT_LOCK_POLL_MS);
    return true;
  }

  private flush(): void {
    const files = [...this.pending];
    this.pending.clear();
    this.batchNumber += 1;
    // Listed files chokidar never reported again are forgotten after a while (a later add is news again).
    const horizon = Date.now() - MAX_BATCH_WAIT_MS * 2;
    for (const [path, seen] of this.listed) if (seen.at < horizon) this.listed.delete(path);
    for (const [path, at] of this.owed) if (at < Date.now() - RAW_EVENT_GRACE_MS) this.owed.delete(path);
    if (files.length > 0) this.onBatch(files);
  }

  /**
   * Chokidar stops watching a root that is deleted or renamed away, without a word, and never sees it
   * come back (unwatch + add does not recover a renamed one: its state still points at the old
   * folders). So each root's identity (device, inode) is checked; when one is back or replaced, a fresh
   * chokidar watcher takes over and the root's files count as changed (they may be anything now).
   */
  private checkRoots(): void {
    if (this.closed || !this.watcher || this.rewatching) return;
    const returned: string[] = [];
    for (const [absolute, root] of this.roots) {
      const identity = identityOf(absolute);
      if (identity === root.identity) continue;
      const before = root.identity;
      root.identity = identity;
      if (identity === 'missing') {
        this.onNotice(`${root.relative} was deleted or renamed — not watched until it is back (waiting for it)`);
        continue;
      }
      returned.push(absolute);
      // A file root replaced by a rename is an editor's atomic save: worth a reload, not a warning.
      if (before === 'missing') this.onNotice(`${root.relative} is back — watching it again; its files count as changed`);
      else if (identity.endsWith(':dir')) this.onNotice(`${root.relative} was replaced (re-created or renamed into place) — watching the new one; its files count as changed`);
    }
    if (returned.length > 0) void this.rewatch(returned);
  }

  private rewatching = false;

  private async rewatch(returned: string[]): Promise<void> {
    this.rewatching = true;
    try {
      // Old one first: chokidar shares its fs.watch handles by path between watchers, and the old
      // handle on this path still follows the folder that was renamed away.
      await this.watcher?.close();
      const next = await this.createWatcher();
      if (this.closed) {
        await next.close();
        return;
      }
      this.watcher = next;
      for (const absolute of returned) {
        if (identityOf(absolute).endsWith(':dir')) for (const file of this.listFiles(absolute)) this.record(file.path);
        else this.record(absolute);
      }
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.rewatching = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.rootTimer) clearInterval(this.rootTimer);
    await this.watcher?.close();
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
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
