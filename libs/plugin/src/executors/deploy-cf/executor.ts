// The executor as executors.json names it: Node's version checked before deploy-cf.ts (and the engine) load.
import { nodeChecked } from '../node-checked.ts';
import type { DeployCfExecutorSchema } from './schema.d.ts';

export default nodeChecked<DeployCfExecutorSchema>('deploy-cf', () => import('./deploy-cf.ts'));
