// The light half of @loa/dev-engine: reading JSONC, checking options against a JSON schema, and checking
// Node's version, with no watcher, supervisor or process code (nothing that fails to load on an old
// Node). The plugin's target inference (plugin.ts), which Nx loads for every command, and its executors'
// entries import this and nothing heavier.
export { checkOptions, validateOptions, httpUrlProblem, maskUrlCredentials } from './lib/schema/validate.ts';
export { readJsonc, JsoncError } from './lib/schema/read-jsonc.ts';
export { nodeTooOld, NODE_MIN } from './lib/process/node-version.ts';
