import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** Reads a dotenv file (the format docker compose's env_file reads too); undefined when absent. */
export function readEnvFile(path: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseEnv(text) as Record<string, string>;
}
