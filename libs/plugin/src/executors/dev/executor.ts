// The executor as executors.json names it: Node's version checked before dev.ts (and the engine) load.
import { nodeChecked } from '../node-checked.ts';
import type { DevExecutorSchema } from '../../../../dev-engine/src/index.ts';

export default nodeChecked<DevExecutorSchema>('dev', () => import('./dev.ts'));
