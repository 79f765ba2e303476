// The dev executor's schema as Nx reads it (executors.json → ./schema.json, written from the engine's by
// `node libs/plugin/scripts/write-nx-dev-schema.ts`; schemas.spec.ts fails when the two drift apart).
//
// Why a second, looser copy: Nx checks a task's options against the executor's schema before the
// executor runs, and when a continuous target (dev) fails that check Nx reports it as a success, exit 0
// (`nx run loa:dev --runtime=banana`). With the constraints left to the engine's own validator, which
// runs first thing in the executor against the full schema (the engine's), such a refusal exits the
// way every other refusal does (131 → Nx "stopped", exit 130). Types and defaults stay: Nx needs them
// to turn command-line strings into numbers and booleans, and to fill the options.
const CONSTRAINTS = ['required', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'format'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObjectSchema = (schema: Json): schema is { [key: string]: Json } => !!schema && typeof schema === 'object' && !Array.isArray(schema) && schema.type === 'object';

export function looseForNx(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(looseForNx);
  if (schema === null || typeof schema !== 'object') return schema;
  const loose: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(schema)) {
    if (CONSTRAINTS.includes(key)) continue;
    // Nx wants exactly one branch of a oneOf to match. Object branches told apart only by `required`
    // (health: http or tcp) all match once that is gone: merge them into one object instead.
    if (key === 'oneOf' && Array.isArray(value) && value.every((branch) => isObjectSchema(branch))) {
      loose.type = 'object';
      loose.properties = Object.assign({}, ...value.map((branch) => (looseForNx(branch) as { properties?: Json }).properties ?? {}));
      continue;
    }
    // Unknown options too are the engine's to name (with the allowed ones), not Nx's.
    if (key === 'additionalProperties' && value === false) continue;
    // `properties` maps option names to schemas: its keys are names, never keywords.
    loose[key] = key === 'properties' && value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([name, property]) => [name, looseForNx(property)])) : looseForNx(value);
  }
  if (typeof schema.description === 'string' && schema.$schema) {
    loose.description = `${schema.description} (The options' constraints are checked by the executor itself, against the engine's schema: libs/dev-engine/src/lib/dev-engine/schema.json.)`;
  }
  return loose;
}
