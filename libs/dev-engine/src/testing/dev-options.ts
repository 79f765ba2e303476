import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevExecutorSchema } from '../lib/dev-engine/schema.d.ts';
import { withSchemaDefaults } from '../lib/dev-engine/schema-defaults.ts';

/** The dev executor's options as Nx would pass them: the schema's defaults, then the overrides. */
export function devOptions(overrides: Partial<DevExecutorSchema> = {}): DevExecutorSchema {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../lib/dev-engine/schema.json'), 'utf8'));
  return withSchemaDefaults<DevExecutorSchema>(schema, overrides);
}
