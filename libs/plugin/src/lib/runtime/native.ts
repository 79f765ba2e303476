import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DevExecutorSchema } from '../../executors/dev/schema.d.ts';
import { DevEngine } from '../dev-engine/engine.ts';
import { normalizeDevOptions } from '../dev-engine/options.ts';
import { readEnvFile } from '../env/env-file.ts';
import { createRedactor } from '../env/redact.ts';
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
    const envFileValues = readEnvFile(resolve(context.root, options.envFile));
    const redact = createRedactor(envFileValues, context.env);
    if (envFileValues) context.print(`[loa] loaded ${Object.keys(envFileValues).length} variable(s) from ${options.envFile} (values hidden)`);
    const normalized = normalizeDevOptions(options, context.root, context.env, envFileValues);
    return new DevEngine(normalized, redact, context.print).run();
  },
};
