import { resolve } from 'node:path';

export interface IdentityConfig {
  dataDir: string;
  grimoiresDir: string;
  workspaceDir: string;
  port: number;
  host: string;
}

/**
 * Defaults suit a native run from the workspace root; the container sets every variable. An empty
 * variable counts as unset, as `${VAR:-default}` reads it in the dev target and start-loa.sh: an empty
 * LOA_DATA_DIR must not put the log in the working directory, nor an empty port mean "any port".
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): IdentityConfig {
  const setting = (name: string, fallback: string) => (env[name] === undefined || env[name]!.trim() === '' ? fallback : env[name]!);
  const portText = setting('LOA_IDENTITY_PORT', '3000').trim();
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new Error(`LOA_IDENTITY_PORT must be a port number (0-65535), got "${env.LOA_IDENTITY_PORT}"`);
  }
  return {
    dataDir: resolve(cwd, setting('LOA_DATA_DIR', '.loa/data')),
    grimoiresDir: resolve(cwd, setting('LOA_GRIMOIRES_DIR', 'grimoires')),
    workspaceDir: resolve(cwd, setting('LOA_WORKSPACE_DIR', '.loa/workspace')),
    port,
    host: setting('LOA_IDENTITY_HOST', '127.0.0.1'),
  };
}
