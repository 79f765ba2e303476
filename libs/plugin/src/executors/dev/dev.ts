import type { ExecutorContext } from '@nx/devkit';
import { PreflightError } from '../../lib/dev-engine/engine.ts';
import { OptionsError } from '../../lib/dev-engine/options.ts';
import { chooseRuntime, RuntimeError, type RuntimeContext, type RuntimeLoaders } from '../../lib/runtime/runtime.ts';
import type { DevExecutorSchema } from './schema.d.ts';

export const runtimes: RuntimeLoaders = {
  native: async () => (await import('../../lib/runtime/native.ts')).nativeRuntime,
  docker: async () => (await import('../../lib/runtime/docker.ts')).dockerRuntime,
};

/** Runs the dev loop; resolves with the process exit code (130/143/129 after a signal). */
export async function runDev(options: DevExecutorSchema, context: RuntimeContext): Promise<number> {
  try {
    const { runtime, reason } = await chooseRuntime(options.runtime, runtimes, context);
    context.print(`[loa] runtime: ${runtime.name} (${reason})`);
    return await runtime.run(options, context);
  } catch (error) {
    if (error instanceof OptionsError || error instanceof PreflightError || error instanceof RuntimeError) {
      context.print(`[loa] ERROR: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

export default async function devExecutor(options: DevExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const code = await runDev(options, { root: context.root, env: process.env, print: (line) => process.stdout.write(`${line}\n`) });
  // Nx reports a continuous task as successful whatever it returns, so a failure (exit 1) and a stop by
  // signal (128 + n, as a shell reports it) leave through the exit code of the task's process.
  if (code !== 0) process.exit(code);
  return { success: true };
}
