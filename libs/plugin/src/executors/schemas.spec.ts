import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { validateOptions } from '../../../dev-engine/src/lib/schema/validate.ts';
import { optionProblems } from '../../../dev-engine/src/testing/fixtures.ts';
import { showProject } from '../testing/resolved-project.ts';
import { looseForNx } from './dev/nx-schema.ts';

/**
 * Each executor's schema.json (what Nx and the validator read) against its schema.d.ts (the options type
 * the code uses), read with the TypeScript checker: the same properties at every level, optional in TS
 * exactly when the schema neither requires nor defaults them, and the same kinds and enum values.
 */
interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../../executors.json'), 'utf8')).executors as Record<string, { schema: string }>;
const pluginRoot = join(import.meta.dirname, '../..');
/** The dev executor's full schema is the engine's; Nx reads a looser copy of it (see dev/nx-schema.ts). */
const ENGINE_DEV_SCHEMA = '../dev-engine/src/lib/dev-engine/schema.json';
/** Each executor's full schema (what its validator checks), by the path executors.json gives or the engine's. */
const executors: Record<string, { schema: string }> = { ...manifest, dev: { schema: ENGINE_DEV_SCHEMA } };
const typeName = (executor: string) => `${executor.replace(/(^|-)([a-z])/g, (_, _dash, c: string) => c.toUpperCase())}ExecutorSchema`;

const program = ts.createProgram(
  Object.values(executors).map(({ schema }) => join(pluginRoot, schema.replace(/\.json$/, '.d.ts'))),
  { strict: true, noEmit: true, allowImportingTsExtensions: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], skipLibCheck: true },
);
const checker = program.getTypeChecker();

function exportedType(file: string, name: string): ts.Type {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} not in the program`);
  const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((s) => s.name === name);
  if (!symbol) throw new Error(`${file} exports no ${name}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

const members = (type: ts.Type) => (type.isUnion() ? type.types : [type]);
const isString = (type: ts.Type) => members(type).every((t) => (t.flags & ts.TypeFlags.StringLike) !== 0);
const isNumber = (type: ts.Type) => members(type).every((t) => (t.flags & ts.TypeFlags.NumberLike) !== 0);
const isBoolean = (type: ts.Type) => members(type).every((t) => (t.flags & ts.TypeFlags.BooleanLike) !== 0);

function compare(schema: JsonSchema, type: ts.Type, path: string, problems: string[]): void {
  type = checker.getNonNullableType(type);
  if (schema.oneOf) {
    const branches = members(type).filter((t) => !(t.flags & ts.TypeFlags.BooleanLiteral));
    // A union of literals (boolean) never backs a oneOf here: match each branch to one member by kind.
    if (branches.length !== schema.oneOf.length) problems.push(`${path}: oneOf has ${schema.oneOf.length} branch(es), the type ${checker.typeToString(type)} ${branches.length}`);
    schema.oneOf.forEach((branch, i) => {
      const member = branches.find((t) => (branch.required ? branch.required.every((key) => t.getProperty(key)) : kindMatches(branch, t)));
      if (!member) problems.push(`${path}: no member of ${checker.typeToString(type)} matches oneOf[${i}]`);
      else compare(branch, member, `${path}|${i}`, problems);
    });
    return;
  }
  if (!kindMatches(schema, type)) problems.push(`${path}: schema type ${schema.type}, TS type ${checker.typeToString(type)}`);
  if (schema.enum) {
    const literals = members(type).map((t) => (t.isStringLiteral() ? t.value : undefined));
    if (JSON.stringify([...literals].sort()) !== JSON.stringify([...schema.enum].sort())) problems.push(`${path}: enum ${schema.enum.join('|')}, TS ${checker.typeToString(type)}`);
  }
  if (schema.type === 'array' && schema.items && checker.isArrayType(type)) compare(schema.items, checker.getTypeArguments(type as ts.TypeReference)[0], `${path}[]`, problems);
  if (schema.type === 'object' && schema.properties) {
    const required = new Set(schema.required ?? []);
    const tsKeys = checker.getPropertiesOfType(type).map((p) => p.name).sort();
    const schemaKeys = Object.keys(schema.properties).sort();
    if (JSON.stringify(tsKeys) !== JSON.stringify(schemaKeys)) problems.push(`${path}: schema has ${schemaKeys.join(', ')}; TS has ${tsKeys.join(', ')}`);
    for (const [key, property] of Object.entries(schema.properties)) {
      const symbol = type.getProperty(key);
      if (!symbol) continue;
      const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
      const shouldBeOptional = !required.has(key) && property.default === undefined;
      if (optional !== shouldBeOptional) problems.push(`${path}.${key}: ${optional ? 'optional' : 'required'} in TS, but the schema ${shouldBeOptional ? 'neither requires nor defaults it' : 'requires or defaults it'}`);
      compare(property, checker.getTypeOfSymbol(symbol), `${path}.${key}`, problems);
    }
  }
}

function kindMatches(schema: JsonSchema, type: ts.Type): boolean {
  switch (schema.type) {
    case 'string':
      return isString(type);
    case 'integer':
    case 'number':
      return isNumber(type);
    case 'boolean':
      return isBoolean(type);
    case 'array':
      return checker.isArrayType(type);
    case 'object':
      return (type.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(type);
    default:
      return true;
  }
}

describe('schema.json and schema.d.ts agree', () => {
  it.each(Object.entries(executors))('%s', (executor, { schema: schemaPath }) => {
    const schema = JSON.parse(readFileSync(join(pluginRoot, schemaPath), 'utf8')) as JsonSchema;
    const problems: string[] = [];
    compare({ ...schema, type: 'object' }, exportedType(join(pluginRoot, schemaPath.replace(/\.json$/, '.d.ts')), typeName(executor)), typeName(executor), problems);
    expect(problems).toEqual([]);
  });

  it('finds a disagreement (a process entry with the top-level options copied in, as before)', () => {
    const schema = JSON.parse(readFileSync(join(pluginRoot, executors.dev.schema), 'utf8')) as JsonSchema;
    schema.properties!.processes.items!.properties!.action = { type: 'string', enum: ['up'], default: 'up' };
    schema.properties!.debounceMs = { type: 'string', default: '20' };
    const problems: string[] = [];
    compare({ ...schema, type: 'object' }, exportedType(join(pluginRoot, executors.dev.schema.replace(/\.json$/, '.d.ts')), 'DevExecutorSchema'), 'DevExecutorSchema', problems);
    expect(problems).toEqual([
      expect.stringMatching(/^DevExecutorSchema\.processes\[\]: schema has action, args, .*; TS has args, /),
      'DevExecutorSchema.debounceMs: schema type string, TS type number',
    ]);
  });
});

describe("apps/loa's targets pass the validator", () => {
  // As Nx resolves them: project.json over the targets the plugin infers from wrangler.jsonc and Dockerfile.dev.
  const project = showProject(join(pluginRoot, '../..'), 'loa');
  const cases = Object.entries(project.targets)
    .filter(([, target]) => target.executor?.startsWith('@loa/plugin:'))
    .flatMap(([name, target]) => [undefined, ...Object.keys(target.configurations ?? {})].map((configuration) => [configuration ? `${name}:${configuration}` : name, target, configuration] as const));

  it.each(cases)('%s', (_name, target, configuration) => {
    const schema = JSON.parse(readFileSync(join(pluginRoot, executors[target.executor!.split(':')[1]].schema), 'utf8'));
    const options = { ...target.options, ...(configuration ? target.configurations![configuration] : {}) };
    expect(() => validateOptions(schema, options)).not.toThrow();
  });
});

describe('the validator over the executors\' schemas', () => {
  const schemaOf = (name: string) => JSON.parse(readFileSync(join(pluginRoot, executors[name].schema), 'utf8')) as object;
  const problems = optionProblems;

  it('names unknown options with the allowed ones, and wrong types', () => {
    expect(problems(schemaOf('smoke'), { url: 'http://x', atempts: 3, timeoutSeconds: 'soon' })).toEqual([
      'unknown option "atempts" — allowed: url, urls, attempts, delaySeconds, timeoutSeconds, expectStatus, expectJson',
      'timeoutSeconds is "soon" — it must be a number',
    ]);
  });

  it('enforces the ranges Nx leaves to the executor (integers, exclusive minimums)', () => {
    expect(problems(schemaOf('deploy-cf'), { cwd: 'worker', outDir: 'dist/worker', workerFiles: ['worker/**'], smokeAttempts: 0, smokeTimeoutSeconds: 0, url: 'notaurl' })).toEqual([
      'url is "notaurl" — it must be an http:// or https:// URL',
      'smokeAttempts is 0 — it must be >= 1',
      'smokeTimeoutSeconds is 0 — it must be > 0',
    ]);
  });
});

describe("the dev executor's schema as Nx reads it", () => {
  const read = (path: string) => JSON.parse(readFileSync(join(pluginRoot, path), 'utf8'));

  it("is the engine's schema without its constraints (regenerate: node libs/plugin/scripts/write-nx-dev-schema.ts)", () => {
    expect(read(manifest.dev.schema)).toEqual(looseForNx(read(ENGINE_DEV_SCHEMA)));
  });

  it('keeps every option, type and default (Nx converts and fills them), and drops what would make Nx refuse before the executor runs', () => {
    const loose = read(manifest.dev.schema);
    const strict = read(ENGINE_DEV_SCHEMA);
    expect(Object.keys(loose.properties)).toEqual(Object.keys(strict.properties));
    expect(loose.properties.runtime).toEqual({ type: 'string', default: strict.properties.runtime.default, description: strict.properties.runtime.description });
    expect(loose.properties.debounceMs.type).toBe(strict.properties.debounceMs.type);
    expect(JSON.stringify(loose)).not.toMatch(/"(enum|minLength|minimum|pattern|required)":/);
    expect(loose.additionalProperties).toBeUndefined();
    // health is http or tcp: Nx wants exactly one oneOf branch to match, and without `required` both
    // would, so the branches are merged.
    expect(Object.keys(loose.properties.processes.items.properties.health.properties).sort()).toEqual(['accept', 'http', 'tcp', 'tcpFallback']);
  });
});
