import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SOUL_HEADER = '<!-- generated from grimoires/loa/BEAUVOIR.md by loa-identity; edits here are overwritten -->\n';

export interface SoulResult {
  changed: boolean;
  hash: string;
  path: string;
}

export function soulHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

export interface SoulPlan extends SoulResult {
  content: string;
}

/** Reads BEAUVOIR.md and the current SOUL.md, and says what SOUL.md should be, writing nothing. */
export function planSoul(grimoiresDir: string, workspaceDir: string): SoulPlan {
  const source = readFileSync(join(grimoiresDir, 'loa', 'BEAUVOIR.md'), 'utf8');
  const content = SOUL_HEADER + source;
  const path = join(workspaceDir, 'SOUL.md');
  let current: string | null = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { changed: current !== content, hash: soulHash(content), path, content };
}

/** Carries out a plan: replaces SOUL.md atomically when it differs. */
export function writeSoul(plan: SoulPlan): SoulResult {
  const { content, ...result } = plan;
  if (!plan.changed) return result;
  mkdirSync(dirname(plan.path), { recursive: true });
  const temporary = `${plan.path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, plan.path);
  return result;
}

/**
 * Writes SOUL.md whenever its content differs from what BEAUVOIR.md implies. The real gateway wrote it
 * only when it was missing, so edits to BEAUVOIR.md never reached the agent.
 */
export function regenerateSoul(grimoiresDir: string, workspaceDir: string): SoulResult {
  return writeSoul(planSoul(grimoiresDir, workspaceDir));
}
