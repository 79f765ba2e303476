import { resolve } from 'node:path';

export interface IdentityConfig {
  dataDir: string;
  grimoiresDir: string;
  workspaceDir: string;
  port: number;
  host: string;
}

/** Defaults suit a native run from the workspace root; the container sets every variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): IdentityConfig {
  const port = Number(env.LOA_IDENTITY_PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`LOA_IDENTITY_PORT must be a port number (0-65535), got "${env.LOA_IDENTITY_PORT}"`);
  }
  return {
    dataDir: resolve(cwd, env.LOA_DATA_DIR ?? '.loa/data'),
    grimoiresDir: resolve(cwd, env.LOA_GRIMOIRES_DIR ?? 'grimoires'),
    workspaceDir: resolve(cwd, env.LOA_WORKSPACE_DIR ?? '.loa/workspace'),
    port,
    host: env.LOA_IDENTITY_HOST ?? '127.0.0.1',
  };
}
