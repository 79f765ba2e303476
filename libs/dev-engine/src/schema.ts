// The light half of @loa/dev-engine: reading JSONC and checking options against a JSON schema, with no
// watcher, supervisor or process code. The plugin's target inference (plugin.ts), which Nx loads for
// every command, imports this and nothing heavier.
export { checkOptions, validateOptions, httpUrlProblem, maskUrlCredentials } from './lib/schema/validate.ts';
export { readJsonc, JsoncError } from './lib/schema/read-jsonc.ts';
