export { DevEngine, normalizeDevOptions, routeChanges, createRedactor } from '../../dev-engine/src/index.ts';
