import { resolve } from 'node:path';
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
  return { envFileValues, redact: createRedactor([...fromFiles, ...asLoaded], env) };
}
