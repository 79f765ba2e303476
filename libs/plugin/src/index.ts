export { DevEngine } from './lib/dev-engine/engine.ts';
export { normalizeDevOptions } from './lib/dev-engine/options.ts';
export { routeChanges } from './lib/watch/rules.ts';
export { createRedactor } from './lib/env/redact.ts';
