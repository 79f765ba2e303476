import { resolve } from 'node:path';
import type { DevExecutorSchema } from '../dev-engine/schema.d.ts';
import { DevEngine } from '../dev-engine/engine.ts';
import { normalizeDevOptions } from '../dev-engine/options.ts';
import { readEnvFile } from '../env/env-file.ts';
import { expand } from '../env/expand.ts';
import { secretsInArgsWarnings, skippedNotice } from '../env/redact.ts';
import { loadSecrets } from '../env/secrets.ts';
import { assertWritableDataDir, dataDirToClean, removeDataDir, symlinkTarget } from './data-dir.ts';
import { RuntimeError, type DevRuntime, type RuntimeContext } from './runtime.ts';

/**
 * The data dir as the processes see it: `${LOA_DATA_DIR:-.loa/data}` (the default) expanded like the
 * target's env, the env file over the shell, so clean removes, and up checks and leaves unwatched, the
 * folder identity really writes to.
 */
function resolveDataDir(options: DevExecutorSchema, context: RuntimeContext): string {
  if (!options.dataDir.includes('${')) return options.dataDir;
  const fromFile = options.envFile ? readEnvFile(resolve(context.root, options.envFile), options.envFile) : undefined;
  return expand(options.dataDir, { ...context.env, ...fromFile });
}

/** The engine on the host: the processes run as local child process groups. */
export const nativeRuntime: DevRuntime = {
  name: 'native',
  async unavailable() {
    return undefined;
  },
  async run(rawOptions: DevExecutorSchema, context: RuntimeContext): Promise<number> {
    const options = { ...rawOptions, dataDir: resolveDataDir(rawOptions, context) };
    switch (options.action) {
      case 'up':
        break;
      case 'down':
        context.print('[loa] nothing to stop: the native runtime stops with its terminal (Ctrl+C)');
        return 0;
      case 'clean': {
        const dataDir = dataDirToClean(context.root, options.dataDir, options.force);
        // Removing a symlink removes the link, never what it leads to: say which went.
        const linkTarget = symlinkTarget(dataDir);
        const removed = removeDataDir(dataDir, options.dataDir);
        if (!removed) context.print(`[loa] nothing to remove: ${options.dataDir} does not exist`);
        else if (linkTarget) context.print(`[loa] removed the symlink ${options.dataDir} only; the folder it led to, ${linkTarget}, was left alone — delete it yourself if you meant to remove its data`);
        else context.print(`[loa] removed ${options.dataDir} (the write-ahead log and other state)`);
        return 0;
      }
      default:
        throw new RuntimeError(`action "${options.action}" needs the docker runtime — run it with --runtime=docker`);
    }
    assertWritableDataDir(context.root, options.dataDir);
    const { envFileValues, redact } = loadSecrets(context.root, context.env, { envFile: options.envFile, scope: context.scope });
    if (envFileValues) context.print(`[loa] loaded ${Object.keys(envFileValues).length} variable(s) from ${options.envFile} (values hidden)`);
    const notice = skippedNotice(redact);
    if (notice) context.print(`[loa] ${notice}`);
    const normalized = normalizeDevOptions(options, context.root, context.env, envFileValues);
    for (const warning of secretsInArgsWarnings(normalized.processes, redact)) context.print(`[loa] ${warning}`);
    return new DevEngine(normalized, redact, context.print).run();
  },
};
