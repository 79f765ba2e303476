import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { nxEnvFiles, readEnvFile, readEnvFiles, type TaskScope } from './env-file.ts';
import { createRedactor, type Redactor } from './redact.ts';

/**
 * The redactor for one run: the values of the env file the run loads itself (`envFile`, relative to
 * `root`), of every dotenv file Nx loaded into the task's environment before the executor started
 * (they reach wrangler and every child as they are), and the environment's secret-named and
 * Cloudflare variables.
 */
export function loadSecrets(
  root: string,
  env: NodeJS.ProcessEnv,
  sources: { envFile?: string; scope?: TaskScope } = {},
): { envFileValues: Record<string, string> | undefined; redact: Redactor } {
  const envFileValues = sources.envFile ? readEnvFile(resolve(root, sources.envFile), sources.envFile) : undefined;
  const fromFiles = [...Object.entries(envFileValues ?? {}), ...readEnvFiles(root, nxEnvFiles(sources.scope))];
  // What the environment holds under those names too: Nx expands `${OTHER}` in a value as it loads it
  // (dotenv-expand), so the value a child sees may be none of the files' texts.
  const asLoaded = fromFiles.flatMap(([name]) => (env[name] ? [[name, env[name]] as [string, string]] : []));
  return { envFileValues, redact: createRedactor([...fromFiles, ...asLoaded], env, (value) => namesWorkspacePath(root, value)) };
}

/**
 * `LOA_GRIMOIRES_DIR=grimoires` in .env.local is configuration, not a secret: hiding it turned
 * "watching …, grimoires, …" into "watching …, ***, …". A value that names an existing file or folder
 * inside the workspace is shown (the notice names the variable); anything else from an env file stays hidden.
 */
function namesWorkspacePath(root: string, value: string): boolean {
  if (value.length > 512 || /[\0\r\n]/.test(value)) return false;
  const path = resolve(root, value);
  const inside = relative(root, path);
  return !inside.startsWith('..') && !isAbsolute(inside) && existsSync(path);
}
