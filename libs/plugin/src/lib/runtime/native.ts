import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DevExecutorSchema } from '../../executors/dev/schema.d.ts';
import { DevEngine } from '../dev-engine/engine.ts';
import { normalizeDevOptions } from '../dev-engine/options.ts';
import { secretsInArgsWarnings, skippedNotice } from '../env/redact.ts';
import { loadSecrets } from '../env/secrets.ts';
import { RuntimeError, type DevRuntime, type RuntimeContext } from './runtime.ts';

/** The engine on the host: the processes run as local child process groups. */
export const nativeRuntime: DevRuntime = {
  name: 'native',
  async unavailable() {
    return undefined;
  },
  async run(options: DevExecutorSchema, context: RuntimeContext): Promise<number> {
    switch (options.action) {
      case 'up':
        break;
      case 'down':
        context.print('[loa] nothing to stop: the native runtime stops with its terminal (Ctrl+C)');
        return 0;
      case 'clean': {
        const dataDir = resolve(context.root, options.dataDir);
        rmSync(dataDir, { recursive: true, force: true });
        context.print(`[loa] removed ${options.dataDir} (the write-ahead log and other state)`);
        return 0;
      }
      default:
        throw new RuntimeError(`action "${options.action}" needs the docker runtime — run it with --runtime=docker`);
    }
    const { envFileValues, redact } = loadSecrets(context.root, context.env, { envFile: options.envFile, scope: context.scope });
    if (envFileValues) context.print(`[loa] loaded ${Object.keys(envFileValues).length} variable(s) from ${options.envFile} (values hidden)`);
    const notice = skippedNotice(redact);
    if (notice) context.print(`[loa] ${notice}`);
    const normalized = normalizeDevOptions(options, context.root, context.env, envFileValues);
    for (const warning of secretsInArgsWarnings(normalized.processes, redact)) context.print(`[loa] ${warning}`);
    return new DevEngine(normalized, redact, context.print).run();
  },
};
