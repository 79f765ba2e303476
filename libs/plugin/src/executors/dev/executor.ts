// The executor as executors.json names it: Node's version checked before dev.ts (and the engine) load.
import { nodeChecked } from '../node-checked.ts';
import type { DevExecutorSchema } from '../../../../dev-engine/src/index.ts';

// A named constant, not `export default nodeChecked(…)`: tsc (5.9) leaves the `.ts` of an import() inside
// an export-default expression unrewritten, and the built package could not load it.
const executor = nodeChecked<DevExecutorSchema>('dev', () => import('./dev.ts'));
export default executor;
