// @loa/dev-engine's public surface: what the Nx plugin (libs/plugin) builds its executors on. The engine
// knows no project: every path, port and command comes from the options it is given.
export { runDev, runtimes } from './lib/dev-engine/run-dev.ts';
export { DevEngine, PreflightError } from './lib/dev-engine/engine.ts';
export { normalizeDevOptions, validateDevOptions, OptionsError } from './lib/dev-engine/options.ts';
export type { DevExecutorSchema } from './lib/dev-engine/schema.d.ts';
export { routeChanges } from './lib/watch/rules.ts';
export { chooseRuntime, RuntimeError, type DevRuntime, type RuntimeContext } from './lib/runtime/runtime.ts';
export { detectDocker } from './lib/docker/compose.ts';
export { EnvFileError, taskScope, type TaskScope } from './lib/env/env-file.ts';
export { expand } from './lib/env/expand.ts';
export { createRedactor, skippedNotice, type Redactor } from './lib/env/redact.ts';
export { loadSecrets } from './lib/env/secrets.ts';
export { runCommand, type RunResult } from './lib/exec/exec.ts';
export * from './schema.ts';
