import { relative } from 'node:path';
import picomatch from 'picomatch';
import { readJsonc } from '../../../../dev-engine/src/schema.ts';

/**
 * The Worker's name, from wrangler.jsonc (comments allowed, as wrangler allows them). A syntax error is
 * a JsoncError with `file:line:column` per problem: a config parsed past an error deploys something else.
 */
export function workerName(configPath: string, root = process.cwd()): string {
  const config = readJsonc(configPath, root) as { name?: unknown } | null;
  if (typeof config?.name !== 'string' || !config.name) throw new Error(`${relative(root, configPath) || configPath} has no "name"`);
  return config.name;
}

export const deployArgs = (containersRolloutNone: boolean) => ['deploy', ...(containersRolloutNone ? ['--containers-rollout=none'] : [])];
/** Offline: no upload, and no image build (which would need a registry). */
export const dryRunArgs = (outDir: string) => ['deploy', '--dry-run', '--outdir', outDir, '--containers-rollout=none'];
export const rollbackArgs = (message: string) => ['rollback', '--yes', '--message', message];

export interface RolloutDecision {
  /** Deploy the Worker only; the container keeps its image (`--containers-rollout=none`). */
  workerOnly: boolean;
  reason: string;
}

/**
 * Whether a deploy can skip the container image: only when every changed file is one of the Worker's
 * own and none is an input of the image. Anything else, or an unknown change set, is a full deploy.
 */
export function rolloutDecision(changedFiles: string[] | undefined, workerGlobs: string[], imageInputGlobs: string[]): RolloutDecision {
  if (changedFiles === undefined) return { workerOnly: false, reason: 'full deploy: the change set is unknown (no base to compare with)' };
  if (changedFiles.length === 0) return { workerOnly: false, reason: 'full deploy: no changed files between base and head' };
  const isWorker = picomatch(workerGlobs, { dot: true });
  const isImageInput = picomatch(imageInputGlobs, { dot: true });
  const imageInputs = changedFiles.filter((file) => isImageInput(file));
  if (imageInputs.length) return { workerOnly: false, reason: `full deploy: the container image's inputs changed (${imageInputs.slice(0, 3).join(', ')}${imageInputs.length > 3 ? ', …' : ''})` };
  const outside = changedFiles.filter((file) => !isWorker(file));
  if (outside.length) return { workerOnly: false, reason: `full deploy: files outside the Worker changed (${outside.slice(0, 3).join(', ')}${outside.length > 3 ? ', …' : ''})` };
  return { workerOnly: true, reason: `Worker only (--containers-rollout=none): ${changedFiles.length} changed file(s), all the Worker's own, none an image input` };
}
