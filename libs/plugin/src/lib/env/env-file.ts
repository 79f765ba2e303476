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
    text = readFileSync(path, 'utf8');
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
