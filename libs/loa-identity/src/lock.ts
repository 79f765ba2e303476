import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the lock file says about the process that holds the data dir. */
export interface LockHolder {
  pid: number;
  /** Start time of the pid (Linux /proc), so a pid reused after a crash or in a new container is not mistaken for the holder. */
  procStart?: string;
  /** Set once the holder serves HTTP, so a helper (regenerate-soul.ts) can ask it instead of writing itself. */
  port?: number;
  host?: string;
  /** Who holds it: the service, or a short-lived helper (regenerate-soul.ts) that a starting service waits for. */
  role?: LockRole;
}

export type LockRole = 'loa-identity' | 'regenerate-soul';

export const LOCK_FILE = 'identity.lock';

export class DataDirLockedError extends Error {
  readonly dataDir: string;
  readonly holder: LockHolder;

  constructor(dataDir: string, holder: LockHolder) {
    super(
      `data dir ${dataDir} is in use by ${holder.role ?? 'loa-identity'} pid ${holder.pid} (lock ${join(dataDir, LOCK_FILE)}) — ` +
        'stop that process first, or give this one its own LOA_DATA_DIR',
    );
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.holder = holder;
  }
}

const HELPER_WAIT_MS = 3_000;
const HELPER_POLL_MS = 20;

/** Locks held by this process, so a second open in the same process is refused like one from another process. */
const heldHere = new Set<string>();
let exitHookInstalled = false;

/** Linux /proc/<pid>/stat: the state (field 3) and the start time (field 22); undefined elsewhere. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return undefined;
  }
}

const procStart = (pid: number) => procStat(pid)?.start;

function readHolder(path: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as LockHolder;
    if (Number.isInteger(parsed.pid) && parsed.pid > 0) return parsed;
  } catch {
    // Unreadable: the lock is written whole (linked from a complete file), so this is damage, not a writer mid-way.
  }
  return { pid: 0 };
}

function isAlive(path: string, holder: LockHolder): boolean {
  if (holder.pid <= 0) return false;
  if (holder.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const current = procStat(holder.pid);
  // A zombie has exited (its parent has not reaped it yet); a different start time is a reused pid.
  if (current?.state === 'Z') return false;
  return !(holder.procStart && current && current.start !== holder.procStart);
}

/** The live process holding dataDir, or null when the dir is free (no lock, or a stale one). */
export function lockHolder(dataDir: string): LockHolder | null {
  const path = join(dataDir, LOCK_FILE);
  const holder = readHolder(path);
  return holder && isAlive(path, holder) ? holder : null;
}

/**
 * An exclusive lock on a data dir: one file holding the owner's pid, created atomically (a complete
 * temporary file hard-linked into place, which fails if the lock exists). A lock whose process is
 * gone (SIGKILL, a crash, an earlier container) is stale and taken over.
 */
export class DataDirLock {
  readonly dataDir: string;
  readonly path: string;
  private released = false;
  private holder: LockHolder;

  private constructor(dataDir: string, path: string, role: LockRole) {
    this.dataDir = dataDir;
    this.path = path;
    this.holder = { pid: process.pid, procStart: procStart(process.pid), role };
  }

  static acquire(dataDir: string, role: LockRole = 'loa-identity'): DataDirLock {
    const lock = new DataDirLock(dataDir, join(dataDir, LOCK_FILE), role);
    // A helper holds the dir for milliseconds (one SOUL.md write and one record); an identity
    // restarted by the dev loop at that moment waits for it rather than failing its start.
    const helperDeadline = Date.now() + HELPER_WAIT_MS;
    // Bounded: each round takes the lock, reports a live holder, removes one stale lock, or waits a
    // little for a helper until its deadline.
    for (let attempt = 0; attempt < 5 + HELPER_WAIT_MS / HELPER_POLL_MS; attempt += 1) {
      if (lock.tryCreate()) {
        heldHere.add(lock.path);
        installExitHook();
        return lock;
      }
      const holder = readHolder(lock.path);
      if (holder === null) continue;
      if (isAlive(lock.path, holder)) {
        if (holder.role !== 'regenerate-soul' || Date.now() > helperDeadline) throw new DataDirLockedError(dataDir, holder);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HELPER_POLL_MS);
        continue;
      }
      try {
        unlinkSync(lock.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new Error(`could not lock data dir ${dataDir}: ${lock.path} keeps changing — is another identity starting? Retry`);
  }

  /** Publishes where the holder serves, for helpers that must ask it rather than write the log themselves. */
  advertise(port: number, host: string): void {
    if (this.released) return;
    this.holder = { ...this.holder, port, host };
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.holder));
    renameSync(temporary, this.path);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    // Only remove the file while it is still ours (never a successor's after a stale takeover).
    if (readHolder(this.path)?.pid !== process.pid) return;
    try {
      unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private tryCreate(): boolean {
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.holder));
    try {
      linkSync(temporary, this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      unlinkSync(temporary);
    }
  }
}

/** An exit without stop() (an uncaught error, process.exit) must not leave the lock behind for a live pid reuse. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of heldHere) {
      try {
        if (readHolder(path)?.pid === process.pid) unlinkSync(path);
      } catch {
        // Exiting anyway; a leftover lock is detected as stale by the next start.
      }
    }
  });
}
