import { DevEngine } from '../dev-engine/engine.ts';
import { normalizeDevOptions, type DevEngineOptions } from '../dev-engine/options.ts';
import { readEnvFile } from '../env/env-file.ts';
import { createRedactor } from '../env/redact.ts';
import type { DevRuntime, RuntimeContext } from './runtime.ts';
import { resolve } from 'node:path';

/** The engine on the host: the processes run as local child process groups. */
export const nativeRuntime: DevRuntime = {
  name: 'native',
  async unavailable() {
    return undefined;
  },
  async up(options: DevEngineOptions, context: RuntimeContext): Promise<number> {
    const envFileValues = readEnvFile(resolve(context.root, options.envFile));
    const redact = createRedactor(envFileValues, context.env);
    if (envFileValues) context.print(`[loa] loaded ${Object.keys(envFileValues).length} variable(s) from ${options.envFile} (values hidden)`);
    const normalized = normalizeDevOptions(options, context.root, context.env, envFileValues);
    const engine = new DevEngine(normalized, redact, context.print);
    return engine.run();
  },
};
