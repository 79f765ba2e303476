import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseEnv } from 'node:util';

/** A dotenv file that cannot be used as it is; the message names the file, line and variable, never a value. */
export class EnvFileError extends Error {}

/** `NAME=` at the start of a line (with an optional `export`), as dotenv and node:util's parseEnv read it. */
const ASSIGNMENT = /^\s*(?:export\s+)?([\w.-]+)\s*[=:]/;

/**
 * Reads a dotenv file (the format docker compose's env_file and Nx's dotenv read too); undefined when
 * absent. A NUL byte is refused here: no process can be started with it in its environment, and the
 * error Node would throw then prints the value.
 */
export function readEnvFile(path: string, shownAs = path): Record<string, string> | undefined {
  let text: string;
  try {
    // A FIFO or a device (a link to /dev/zero) would block the read, or never end it, before a signal
    // handler could run: Ctrl+C would not stop the engine.
    const stat = statSync(path);
    if (stat.isFIFO() || stat.isCharacterDevice() || stat.isBlockDevice() || stat.isSocket()) {
      throw new EnvFileError(`${shownAs} is not a regular file (a FIFO or a device) — make it a readable file or remove it`);
    }
    text = decode(readFileSync(path), shownAs);
  } catch (error) {
    if (error instanceof EnvFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new EnvFileError(`${shownAs} cannot be read (${code ?? (error as Error).message}) — make it a readable file or remove it`);
  }
  const values = parseEnv(text) as Record<string, string>;
  const nul = text.indexOf('\0');
  if (nul !== -1) throw nulError(text, nul, values, shownAs);
  return values;
}

/**
 * The file's text, as UTF-8. Windows editors (and PowerShell's `>`) save UTF-16: read as UTF-8 its
 * names would come out garbled (a NUL between every letter), so it is refused in one line. A UTF-8
 * byte-order mark is dropped: it would otherwise become part of the first variable's name.
 */
function decode(bytes: Buffer, shownAs: string): string {
  const utf16 = utf16Order(bytes);
  if (utf16) throw new EnvFileError(`${shownAs} is UTF-16 (${utf16}), which a dotenv file cannot be — save it as UTF-8`);
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', hasBom ? 3 : 0);
}

/** 'little-endian' or 'big-endian' for a UTF-16 file (a byte-order mark, or ASCII with a NUL beside each letter), else undefined. */
function utf16Order(bytes: Buffer): 'little-endian' | 'big-endian' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'little-endian';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'big-endian';
  // Without a mark: in the first characters, every other byte is NUL and the rest are not.
  const pairs = Math.min(bytes.length >> 1, 32);
  if (pairs < 2) return undefined;
  let low = 0;
  let high = 0;
  for (let i = 0; i < pairs; i += 1) {
    const [first, second] = [bytes[2 * i], bytes[2 * i + 1]];
    if (first !== 0 && second === 0) low += 1;
    else if (first === 0 && second !== 0) high += 1;
  }
  if (low === pairs) return 'little-endian';
  if (high === pairs) return 'big-endian';
  return undefined;
}

function nulError(text: string, at: number, values: Record<string, string>, file: string): EnvFileError {
  const lines = text.slice(0, at).split('\n');
  const line = lines.length;
  // The variable: the one whose value holds the NUL, else the nearest assignment at or above the line
  // (the NUL may sit in a name, or in a value the parser cut short).
  const holder = Object.keys(values).find((name) => values[name].includes('\0'));
  const above = lines.reverse().map((l) => ASSIGNMENT.exec(l)?.[1]).find(Boolean);
  const name = (holder ?? above)?.replaceAll('\0', '');
  return new EnvFileError(
    `${file} line ${line}${name ? ` (${name})` : ''} contains a NUL byte, which no process environment can hold — ` +
      `remove it from the file${name ? ` (retype the value of ${name})` : ''}`,
  );
}

/** Where Nx runs a task, for the dotenv files it loads into that task's environment. */
export interface TaskScope {
  /** The project's folder, relative to the workspace root. */
  projectRoot: string;
  target: string;
  configuration?: string;
}

/**
 * The dotenv files Nx loads into a task's environment (before our executor even starts), relative to
 * the workspace root, in Nx's order: the same list as nx/src/tasks-runner/task-env-paths.ts
 * (`getEnvPathsForTask`), first the project's folder, then the workspace root. Without a task (the
 * standalone engine) the files Nx loads at start-up: .env.local, .local.env, .env
 * (nx/src/utils/dotenv.ts).
 */
export function nxEnvFiles(scope?: TaskScope): string[] {
  const variants = (identifier: string, folder: string) => {
    const at = folder && folder !== '.' ? `${folder}/` : '';
    return identifier
      ? [`${at}.env.${identifier}.local`, `${at}.env.${identifier}`, `${at}.${identifier}.local.env`, `${at}.${identifier}.env`]
      : [`${at}.env.local`, `${at}.local.env`, `${at}.env`];
  };
  if (!scope) return variants('', '');
  const identifiers = [
    ...(scope.configuration ? [`${scope.target}.${scope.configuration}`, scope.configuration] : []),
    scope.target,
    '',
  ];
  const folders = scope.projectRoot && scope.projectRoot !== '.' ? [scope.projectRoot, ''] : [''];
  return [...new Set(folders.flatMap((folder) => identifiers.flatMap((identifier) => variants(identifier, folder))))];
}

/** An Nx executor's task, for nxEnvFiles. */
export function taskScope(context: {
  projectName?: string;
  targetName?: string;
  configurationName?: string;
  projectsConfigurations?: { projects: Record<string, { root: string }> };
}): TaskScope | undefined {
  if (!context.projectName || !context.targetName) return undefined;
  const projectRoot = context.projectsConfigurations?.projects[context.projectName]?.root ?? '';
  return { projectRoot, target: context.targetName, configuration: context.configurationName };
}

/**
 * Every (name, value) pair of the given dotenv files that exist, relative to `root`. A value a later
 * file overrides is kept too: it is no less secret for being shadowed.
 */
export function readEnvFiles(root: string, files: readonly string[]): Array<[name: string, value: string]> {
  const pairs: Array<[string, string]> = [];
  for (const file of new Set(files)) {
    const values = readEnvFile(join(root, file), relative(root, join(root, file)) || file);
    if (values) pairs.push(...Object.entries(values));
  }
  return pairs;
}
