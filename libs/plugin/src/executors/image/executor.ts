// The executor as executors.json names it: Node's version checked before image.ts (and the engine) load.
import { nodeChecked } from '../node-checked.ts';
import type { ImageExecutorSchema } from './schema.d.ts';

export default nodeChecked<ImageExecutorSchema>('image', () => import('./image.ts'));
