import type { ExecutorContext } from '@nx/devkit';
import { runDev, taskScope, type DevExecutorSchema } from '../../../../dev-engine/src/index.ts';
import { CONTINUOUS_FAILURE_EXIT, isContinuous } from '../node-checked.ts';

/** The exit code for this process: a failed continuous target must not read as success under Nx. */
export function exitCodeUnderNx(code: number, continuous: boolean): number {
  const stopBySignal = code === 129 || code === 130 || code === 143;
  return continuous && code !== 0 && !stopBySignal ? CONTINUOUS_FAILURE_EXIT : code;
}

export default async function devExecutor(options: DevExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const code = await runDev(options, { root: context.root, env: process.env, print: (line) => process.stdout.write(`${line}\n`), scope: taskScope(context) });
  const exitCode = exitCodeUnderNx(code, isContinuous(context));
  if (exitCode !== code) process.stdout.write('[loa] failed; Nx lists a continuous target that fails as "stopped" and exits 130\n');
  // A stop by signal (128 + n, as a shell reports it) and a failure leave through the exit code of the task's process.
  if (code !== 0) process.exit(exitCode);
  return { success: true };
}
