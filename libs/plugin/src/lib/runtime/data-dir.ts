import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { RuntimeError } from './runtime.ts';

/** `inner` is `outer` or inside it. */
function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of `path`, or of its nearest existing ancestor with the rest appended (symlinks resolved). */
function realPathOf(path: string): string {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return resolve(realpathSync(existing), relative(existing, path));
}

/** Files git tracks under `path` (a data dir holds none); undefined when git cannot tell. */
function trackedFiles(root: string, path: string): string[] | undefined {
  const result = spawnSync('git', ['ls-files', '-z', '--', path], { cwd: root, encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0 || result.error) return undefined;
  return result.stdout.split('\0').filter(Boolean);
}

/**
 * Where `clean` may delete: the resolved data dir, or a RuntimeError that says what would have been
 * removed and how to fix it. Never the workspace root or an ancestor of it (an empty `dataDir`, `.`,
 * `..`); not outside the workspace, by path or through a symlink, nor a folder holding tracked files,
 * unless forced.
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
  if (!force) {
    if (!within(root, path)) {
      throw new RuntimeError(`dataDir "${dataDir}" is outside the workspace: clean would have removed ${path} — nothing removed; ${fix}, or pass --force to remove it anyway`);
    }
    if (!within(realRoot, realPath)) {
      throw new RuntimeError(`dataDir "${dataDir}" leads outside the workspace through a symlink: clean would have removed ${realPath} — nothing removed; remove the link, or pass --force to remove it anyway`);
    }
    const tracked = existsSync(path) ? trackedFiles(root, path) : [];
    if (tracked?.length) {
      throw new RuntimeError(
        `dataDir "${dataDir}" holds ${tracked.length} file(s) tracked by git (${tracked.slice(0, 3).join(', ')}${tracked.length > 3 ? ', …' : ''}): clean would have removed them — nothing removed; ${fix}, or pass --force to remove it anyway`,
      );
    }
  }
  return path;
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
  let existing = resolve(root, dataDir);
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'not writable';
    throw new RuntimeError(`data dir ${dataDir} is not writable (${existing}: ${code}) — fix its permissions (chmod u+w ${existing}) or set dataDir/LOA_DATA_DIR to a writable folder`);
  }
}
