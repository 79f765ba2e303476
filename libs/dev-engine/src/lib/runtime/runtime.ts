import type { DevExecutorSchema } from '../dev-engine/schema.d.ts';
import type { Print } from '../dev-engine/engine.ts';
import type { TaskScope } from '../env/env-file.ts';

export type RuntimeName = 'native' | 'docker';
export type RuntimeRequest = RuntimeName | 'auto';

export interface RuntimeContext {
  root: string;
  env: NodeJS.ProcessEnv;
  print: Print;
  /** The Nx task being run, for the dotenv files Nx loaded into `env` (their values are redacted). */
  scope?: TaskScope;
}

/** One way of running the dev loop. Both run the same engine; docker runs it inside compose. */
export interface DevRuntime {
  readonly name: RuntimeName;
  /** Why this runtime cannot run here, with the fix; undefined when it can. */
  unavailable(context: RuntimeContext): Promise<string | undefined>;
  /** Runs one action (up, build, shell, logs, down, clean); resolves with the exit code. */
  run(options: DevExecutorSchema, context: RuntimeContext): Promise<number>;
}

export class RuntimeError extends Error {}

/** Runtimes load on demand: the engine inside the container never loads the compose side. */
export type RuntimeLoaders = Record<RuntimeName, () => Promise<DevRuntime>>;

/** `auto` takes docker when it is usable, else native; a forced runtime that cannot run is an error. */
export async function chooseRuntime(
  requested: RuntimeRequest,
  runtimes: RuntimeLoaders,
  context: RuntimeContext,
): Promise<{ runtime: DevRuntime; reason: string }> {
  if (requested !== 'auto') {
    const runtime = await runtimes[requested]();
    const problem = await runtime.unavailable(context);
    if (problem) throw new RuntimeError(`the ${requested} runtime cannot run: ${problem}`);
    return { runtime, reason: `--runtime=${requested}` };
  }
  const docker = await runtimes.docker();
  const dockerProblem = await docker.unavailable(context);
  if (!dockerProblem) return { runtime: docker, reason: 'auto: a Docker engine and Compose are reachable' };
  return { runtime: await runtimes.native(), reason: `auto: ${dockerProblem}` };
}
