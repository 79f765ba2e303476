// The standalone engine's entry (`loa-dev-engine`, dist/libs/dev-engine/cli.mjs): Node's version first,
// then the engine, loaded only once it can load (see node-version.ts).
import { nodeTooOld } from './lib/process/node-version.ts';

const tooOld = nodeTooOld('loa-dev-engine');
if (tooOld) {
  process.stderr.write(`[loa] ERROR: ${tooOld}\n`);
  process.exit(1);
}
await import('./lib/dev-engine/cli.ts');
