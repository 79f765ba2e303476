// Every executor's entry (executors.json): Node's version first, then the executor, loaded only once it
// can load. On an older Node the engine's dependencies fail at import with an error that names nothing,
// and a continuous target that dies that way reads as a success under Nx.
import type { ExecutorContext } from '@nx/devkit';
import { nodeTooOld } from '../../../dev-engine/src/schema.ts';

/**
 * The exit status of a continuous target that fails. Nx 23 completes a continuous task it was asked to
 * run as a success whatever its exit code (task-orchestrator's handleContinuousTaskExit: no other task
 * needs it, so it is "fulfilled"), except the codes of an intentional stop (129, 130, 131, 143), which
 * it reports as "Tasks stopped before they finished" with exit 130. So a refusal leaves with 131, the
 * one of those the engine never uses for a real signal: `nx run loa:dev` then exits non-zero (130).
 */
export const CONTINUOUS_FAILURE_EXIT = 131;

/** Whether Nx runs this target as a continuous one (dev, dev-build, dev-logs). */
export function isContinuous(context: ExecutorContext): boolean {
  return context.target?.continuous ?? context.projectsConfigurations?.projects[context.projectName ?? '']?.targets?.[context.targetName ?? '']?.continuous ?? false;
}

type Executor<Options> = (options: Options, context: ExecutorContext) => Promise<{ success: boolean }>;

export function nodeChecked<Options>(name: string, load: () => Promise<{ default: Executor<Options> }>): Executor<Options> {
  return async (options, context) => {
    const refuse = (line: string) => {
      process.stdout.write(`[loa] ERROR: ${line}\n`);
      if (isContinuous(context)) process.exit(CONTINUOUS_FAILURE_EXIT);
      return { success: false };
    };
    const tooOld = nodeTooOld(`@loa/plugin:${name}`);
    if (tooOld) return refuse(tooOld);
    let executor: Executor<Options>;
    try {
      executor = (await load()).default;
    } catch (error) {
      // A broken install (a file missing from the package): Nx would report a continuous target that
      // dies here as a success.
      return refuse(`@loa/plugin:${name} could not be loaded (${(error as Error).message.split('\n')[0]}) — reinstall @loa/plugin`);
    }
    return executor(options, context);
  };
}
