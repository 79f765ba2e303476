// The executor as executors.json names it: Node's version checked before smoke.ts (and the engine) load.
import { nodeChecked } from '../node-checked.ts';
import type { SmokeExecutorSchema } from './schema.d.ts';

export default nodeChecked<SmokeExecutorSchema>('smoke', () => import('./smoke.ts'));
