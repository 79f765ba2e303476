import type { ExecutorContext } from '@nx/devkit';
import { PreflightError } from '../../lib/dev-engine/engine.ts';
import { OptionsError, validateDevOptions } from '../../lib/dev-engine/options.ts';
import { EnvFileError, taskScope } from '../../lib/env/env-file.ts';
import { chooseRuntime, RuntimeError, type RuntimeContext, type RuntimeLoaders } from '../../lib/runtime/runtime.ts';
import type { DevExecutorSchema } from './schema.d.ts';

export const runtimes: RuntimeLoaders = {
  native: async () => (await import('../../lib/runtime/native.ts')).nativeRuntime,
  docker: async () => (await import('../../lib/runtime/docker.ts')).dockerRuntime,
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

/**
 * The exit status of a continuous target that fails. Nx 23 completes a continuous task it was asked to
 * run as a success whatever its exit code (task-orchestrator's handleContinuousTaskExit: no other task
 * needs it, so it is "fulfilled"), except the codes of an intentional stop (129, 130, 131, 143), which
 * it reports as "Tasks stopped before they finished" with exit 130. So a refusal leaves with 131, the
 * one of those the engine never uses for a real signal: `nx run loa:dev` then exits non-zero (130).
 */
export const CONTINUOUS_FAILURE_EXIT = 131;

/** The exit code for this process: a failed continuous target must not read as success under Nx. */
export function exitCodeUnderNx(code: number, continuous: boolean): number {
  const stopBySignal = code === 129 || code === 130 || code === 143;
  return continuous && code !== 0 && !stopBySignal ? CONTINUOUS_FAILURE_EXIT : code;
}

export default async function devExecutor(options: DevExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const code = await runDev(options, { root: context.root, env: process.env, print: (line) => process.stdout.write(`${line}\n`), scope: taskScope(context) });
  const continuous = context.target?.continuous ?? context.projectsConfigurations?.projects[context.projectName ?? '']?.targets?.[context.targetName ?? '']?.continuous ?? false;
  const exitCode = exitCodeUnderNx(code, continuous);
  if (exitCode !== code) process.stdout.write('[loa] failed; Nx lists a continuous target that fails as "stopped" and exits 130\n');
  // A stop by signal (128 + n, as a shell reports it) and a failure leave through the exit code of the task's process.
  if (code !== 0) process.exit(exitCode);
  return { success: true };
}
