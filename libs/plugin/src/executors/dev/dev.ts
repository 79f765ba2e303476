import type { ExecutorContext } from '@nx/devkit';
import { runDev, taskScope, type DevExecutorSchema } from '../../../../dev-engine/src/index.ts';

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
