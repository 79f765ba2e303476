import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SOUL_HEADER = '<!-- generated from grimoires/loa/BEAUVOIR.md by loa-identity; edits here are overwritten -->\n';

export interface SoulResult {
  changed: boolean;
  hash: string;
  path: string;
}

export function soulHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/**
 * Writes SOUL.md whenever its content differs from what BEAUVOIR.md implies. The real gateway wrote it
 * only when it was missing, so edits to BEAUVOIR.md never reached the agent.
 */
export function regenerateSoul(grimoiresDir: string, workspaceDir: string): SoulResult {
  const source = readFileSync(join(grimoiresDir, 'loa', 'BEAUVOIR.md'), 'utf8');
  const wanted = SOUL_HEADER + source;
  const path = join(workspaceDir, 'SOUL.md');
  let current: string | null = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const hash = soulHash(wanted);
  if (current === wanted) return { changed: false, hash, path };
  mkdirSync(workspaceDir, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, wanted);
  renameSync(temporary, path);
  return { changed: true, hash, path };
}
