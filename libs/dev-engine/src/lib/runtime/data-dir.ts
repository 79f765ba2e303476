import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { processAlive, processStartTime } from '../supervisor/process-group.ts';
import { RuntimeError } from './runtime.ts';

/** `inner` is `outer` or inside it. */
function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** `path` if it exists, else its nearest existing ancestor. */
function nearestExisting(path: string): string {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return existing;
}

/** The real path of `path`, or of its nearest existing ancestor with the rest appended (symlinks resolved). */
function realPathOf(path: string): string {
  const existing = nearestExisting(path);
  return resolve(realpathSync(existing), relative(existing, path));
}

/**
 * Files git tracks under `path` (a data dir holds none), or with `untracked` the files it neither tracks
 * nor ignores (new work not yet added; a data dir is ignored); undefined when git cannot tell.
 */
function gitFiles(root: string, path: string, untracked = false): string[] | undefined {
  const args = untracked ? ['ls-files', '-z', '--others', '--exclude-standard', '--', path] : ['ls-files', '-z', '--', path];
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0 || result.error) return undefined;
  return result.stdout.split('\0').filter(Boolean);
}

/** True when a component of `path` below `base` is `.git`: the repository's own folder or inside it. */
function inGitDir(base: string, path: string): boolean {
  return relative(base, path).split(sep).includes('.git');
}

/**
 * The first `.git` (a nested repository, a submodule, a worktree) under `dir`, relative to it; symlinks
 * are not followed. git does not list a nested repository's files, so the tracked-files check misses it.
 */
function nestedRepository(dir: string, budget = { entries: 20_000 }): string | undefined {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (--budget.entries < 0) return undefined;
    if (entry.name === '.git') return '.git';
    if (entry.isDirectory() && !entry.isSymbolicLink()) {
      const found = nestedRepository(`${dir}${sep}${entry.name}`, budget);
      if (found) return `${entry.name}/${found}`;
    }
  }
  return undefined;
}

/** `*.lock` files in `dir` and a few levels below (`--dataDir=.loa` holds `data/identity.lock`), relative to it. */
function lockFiles(dir: string, depth = 3, prefix = '', budget = { entries: 5_000 }): string[] {
  let entries;
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    if (--budget.entries < 0) break;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile() && entry.name.endsWith('.lock')) found.push(path);
    else if (entry.isDirectory() && depth > 0 && entry.name !== 'node_modules' && entry.name !== '.git') found.push(...lockFiles(dir, depth - 1, path, budget));
  }
  return found;
}

/**
 * A live process that holds a lock file in the data dir (identity's `identity.lock`: `{"pid", "procStart"}`),
 * as "identity.lock: loa-identity pid 123", or undefined. Removing the dir under it loses what it writes next.
 */
export function liveLockHolder(dir: string): { file: string; pid: number; role: string } | undefined {
  for (const name of lockFiles(dir)) {
    let holder: { pid?: unknown; procStart?: unknown; role?: unknown };
    try {
      holder = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    } catch {
      continue;
    }
    const pid = holder.pid;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    // Gone, or a zombie (exited, not yet reaped by its parent), holds nothing.
    if (!processAlive(pid)) continue;
    // A pid reused since (after a crash, in another container) is not the holder: compare start times.
    if (typeof holder.procStart === 'string') {
      const started = processStartTime(pid); // undefined without /proc: trust the pid
      if (started !== undefined && started !== holder.procStart) continue;
    }
    return { file: name, pid, role: typeof holder.role === 'string' ? holder.role : 'a process' };
  }
  return undefined;
}

function listed(files: string[]): string {
  return `${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}`;
}

/**
 * Where `clean` may delete: the resolved data dir, or a RuntimeError that says what would have been
 * removed and how to fix it. Never the workspace root or an ancestor of it (an empty `dataDir`, `.`,
 * `..`), nor `.git` or anything in it; unless forced, not outside the workspace (by path or through a
 * symlink), not a file, nor a folder holding tracked files, a nested repository, or files git neither
 * tracks nor ignores (the data dir is ignored; those are someone's new work).
 */
export function dataDirToClean(root: string, dataDir: string, force: boolean): string {
  const fix = 'set dataDir (or LOA_DATA_DIR) to the data folder inside the workspace, e.g. .loa/data';
  if (!dataDir.trim()) {
    throw new RuntimeError(`dataDir is empty (an unset LOA_DATA_DIR?): clean would have removed the whole workspace ${root}, .git included — nothing removed; ${fix}`);
  }
  const path = resolve(root, dataDir);
  const realRoot = realpathSync(root);
  const realPath = realPathOf(path);
  for (const [candidate, base] of [
    [path, root],
    [realPath, realRoot],
  ]) {
    if (within(candidate, base)) {
      const what = candidate === base ? 'the workspace root' : 'an ancestor of the workspace';
      throw new RuntimeError(`dataDir "${dataDir}" is ${what} (${candidate}): clean would have removed ${candidate} and everything in it, .git included — nothing removed; ${fix}`);
    }
  }
  if (inGitDir(root, path) || inGitDir(realRoot, realPath)) {
    throw new RuntimeError(`dataDir "${dataDir}" is git's own folder or inside it (${realPath}): clean would have removed the repository's history — nothing removed; ${fix}`);
  }
  if (!force) {
    if (!within(root, path)) {
      throw new RuntimeError(`dataDir "${dataDir}" is outside the workspace: clean would have removed ${path} — nothing removed; ${fix}, or pass --force to remove it anyway`);
    }
    if (!within(realRoot, realPath)) {
      // The dir itself a link: rm removes the link alone. A link above it: the folder it reaches.
      const what = symlinkTarget(path) ? `the link, not the folder it leads to, ${realPath}` : realPath;
      throw new RuntimeError(`dataDir "${dataDir}" leads outside the workspace through a symlink: clean would have removed ${what} — nothing removed; remove the link, or pass --force to remove it anyway`);
    }
    if (!existsSync(path)) return path;
    if (!lstatSync(path).isDirectory()) {
      throw new RuntimeError(`dataDir "${dataDir}" is a file, not a folder: clean would have removed ${path} — nothing removed; ${fix}, or pass --force to remove it anyway`);
    }
    const tracked = gitFiles(root, path);
    if (tracked?.length) {
      throw new RuntimeError(
        `dataDir "${dataDir}" holds ${tracked.length} file(s) tracked by git (${listed(tracked)}): clean would have removed them — nothing removed; ${fix}, or pass --force to remove it anyway`,
      );
    }
    const repository = nestedRepository(path);
    if (repository) {
      throw new RuntimeError(
        `dataDir "${dataDir}" holds a git repository (${relative(root, join(path, repository))}): clean would have removed it and its history — nothing removed; ${fix}, or pass --force to remove it anyway`,
      );
    }
    const holder = liveLockHolder(path);
    if (holder) {
      throw new RuntimeError(
        `dataDir "${dataDir}" is in use (${holder.file}: ${holder.role} pid ${holder.pid}): removing it now would lose what that process writes next — stop it first (Ctrl+C in the terminal running loa:dev), or pass --force to remove it anyway`,
      );
    }
    const untracked = gitFiles(root, path, true);
    if (untracked?.length) {
      throw new RuntimeError(
        `dataDir "${dataDir}" holds ${untracked.length} file(s) git neither tracks nor ignores (${listed(untracked)}), new work perhaps (a data dir is ignored): clean would have removed them — nothing removed; ${fix}, or pass --force to remove it anyway`,
      );
    }
  }
  return path;
}

/**
 * Where `path` leads when it is itself a symlink (removing it removes only the link), else undefined.
 * A `--force` clean of a linked data dir must not claim the data went.
 */
export function symlinkTarget(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** Removes the data dir (after dataDirToClean); a permission problem is a one-line error, not a stack trace. */
export function removeDataDir(path: string, shown: string): boolean {
  if (!existsSync(path)) return false;
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new RuntimeError(`cannot remove ${shown} (${code}${(error as NodeJS.ErrnoException).path ? ` at ${(error as NodeJS.ErrnoException).path}` : ''}) — fix its permissions (or its owner) and run clean again`);
  }
  return true;
}

/** Before `up`: the data dir (or the folder it will be made in) must be writable, or identity dies with a stack trace. */
export function assertWritableDataDir(root: string, dataDir: string): void {
  const existing = nearestExisting(resolve(root, dataDir));
  try {
    accessSync(existing, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'not writable';
    throw new RuntimeError(`data dir ${dataDir} is not writable (${existing}: ${code}) — fix its permissions (chmod u+w ${existing}) or set dataDir/LOA_DATA_DIR to a writable folder`);
  }
}
