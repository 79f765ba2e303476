import { PreflightError } from './engine.ts';
import { OptionsError, validateDevOptions } from './options.ts';
import { EnvFileError } from '../env/env-file.ts';
import { chooseRuntime, RuntimeError, type RuntimeContext, type RuntimeLoaders } from '../runtime/runtime.ts';
import type { DevExecutorSchema } from './schema.d.ts';

export const runtimes: RuntimeLoaders = {
  native: async () => (await import('../runtime/native.ts')).nativeRuntime,
  docker: async () => (await import('../runtime/docker.ts')).dockerRuntime,
};

/** Runs the dev loop; resolves with the process exit code (1 on bad input or a refusal, 130/143/129 after a signal). */
export async function runDev(options: Partial<DevExecutorSchema>, context: RuntimeContext): Promise<number> {
  try {
    // Every option is checked before a runtime is chosen, so nothing starts on bad input.
    const valid = validateDevOptions(options);
    const { runtime, reason } = await chooseRuntime(valid.runtime, runtimes, context);
    context.print(`[loa] runtime: ${runtime.name} (${reason})`);
    return await runtime.run(valid, context);
  } catch (error) {
    if (error instanceof OptionsError) {
      for (const problem of error.problems) context.print(`[loa] ERROR: ${problem}`);
      return 1;
    }
    if (error instanceof PreflightError || error instanceof RuntimeError || error instanceof EnvFileError) {
      context.print(`[loa] ERROR: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

