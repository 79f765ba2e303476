// Writes libs/plugin/src/executors/dev/schema.json (what Nx reads for @loa/plugin:dev) from the engine's
// schema: see src/executors/dev/nx-schema.ts for why. Run after changing the engine's schema:
//   node libs/plugin/scripts/write-nx-dev-schema.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { looseForNx } from '../src/executors/dev/nx-schema.ts';

const libs = join(import.meta.dirname, '../..');
const strict = JSON.parse(readFileSync(join(libs, 'dev-engine/src/lib/dev-engine/schema.json'), 'utf8'));
writeFileSync(join(libs, 'plugin/src/executors/dev/schema.json'), `${JSON.stringify(looseForNx(strict), null, 2)}\n`);
process.stdout.write('[loa] wrote libs/plugin/src/executors/dev/schema.json from the engine\'s schema\n');
