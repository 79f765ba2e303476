// The executor as executors.json names it: Node's version checked before image.ts (and the engine) load.
import { nodeChecked } from '../node-checked.ts';
import type { ImageExecutorSchema } from './schema.d.ts';

// A named constant, not `export default nodeChecked(…)`: tsc (5.9) leaves the `.ts` of an import() inside
// an export-default expression unrewritten, and the built package could not load it.
const executor = nodeChecked<ImageExecutorSchema>('image', () => import('./image.ts'));
export default executor;
