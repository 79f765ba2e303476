// libs/plugin/README.md against the schemas it documents, so the two cannot drift apart: every option of
// every executor's and generator's schema.json (nested ones included: a process's `health`, a rule's
// `run`) is named, in backticks, in that executor's or generator's section (`### \`@loa/plugin:<name>\``),
// and every option a table row there names is still in the schema. The inference plugin's options
// (LoaPluginOptions in plugin.ts) likewise in its section.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

const PLUGIN = join(import.meta.dirname, '..');
const README = readFileSync(join(PLUGIN, 'README.md'), 'utf8');

/** Every property name in the schema, at any depth. */
function optionNames(schema: JsonSchema): Set<string> {
  const names = new Set<string>();
  const visit = (node: JsonSchema | undefined) => {
    if (!node || typeof node !== 'object') return;
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      names.add(name);
      visit(child);
    }
    for (const child of [node.items ?? [], node.oneOf ?? [], node.anyOf ?? [], node.allOf ?? []].flat()) visit(child);
    if (typeof node.additionalProperties === 'object') visit(node.additionalProperties);
  };
  visit(schema);
  return names;
}

/** The lines under the heading whose text contains `title`, up to the next heading of the same or a higher level. */
function section(markdown: string, title: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.includes(title));
  if (start < 0) throw new Error(`README.md has no heading with ${title}`);
  const level = /^#+/.exec(lines[start])![0].length;
  const end = lines.findIndex((line, index) => index > start && new RegExp(`^#{1,${level}} `).test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Options not named in backticks in the section, and table rows naming an option the schema lacks. */
function drift(markdown: string, title: string, options: Set<string>): { missing: string[]; unknown: string[] } {
  const text = section(markdown, title);
  const missing = [...options].filter((name) => !text.includes(`\`${name}\``));
  const unknown = [...text.matchAll(/^\|\s*`([A-Za-z][A-Za-z0-9]*)`\s*\|/gm)].map((match) => match[1]).filter((name) => !options.has(name));
  return { missing, unknown };
}

const manifest = (file: string, key: string) => JSON.parse(readFileSync(join(PLUGIN, file), 'utf8'))[key] as Record<string, { schema: string }>;
const documented = [
  ...Object.entries(manifest('executors.json', 'executors')).map(([name, entry]) => ['executor', name, entry.schema] as const),
  ...Object.entries(manifest('generators.json', 'generators')).map(([name, entry]) => ['generator', name, entry.schema] as const),
];
const schemaOptions = (path: string) => optionNames(JSON.parse(readFileSync(join(PLUGIN, path), 'utf8')) as JsonSchema);

describe('libs/plugin/README.md documents every option', () => {
  it('covers every executor and generator the manifests declare', () => {
    expect(documented.map(([kind, name]) => `${kind} ${name}`).sort()).toEqual(['executor deploy-cf', 'executor dev', 'executor image', 'executor smoke', 'generator setup']);
  });

  it.each(documented)('%s %s: every schema.json option is named in its section, and no table names one it lacks', (_kind, name, schema) => {
    const options = schemaOptions(schema);
    expect(options.size).toBeGreaterThan(0);
    expect(drift(README, `\`@loa/plugin:${name}\``, options)).toEqual({ missing: [], unknown: [] });
  });

  it("the inference plugin's options (LoaPluginOptions in plugin.ts)", () => {
    const source = readFileSync(join(PLUGIN, 'src/plugin.ts'), 'utf8');
    const body = /export interface LoaPluginOptions \{([\s\S]*?)\n\}/.exec(source)![1];
    const options = new Set([...body.matchAll(/^\s*(\w+)\?:/gm)].map((match) => match[1]));
    expect([...options].sort()).toEqual(['deployTargetName', 'devTargetName', 'imageTargetName', 'smokeTargetName']);
    expect(drift(README, '`@loa/plugin/plugin`', options)).toEqual({ missing: [], unknown: [] });
  });

  it('fails when an option is left out, or a table names one the schema does not have', () => {
    const schema: JsonSchema = {
      properties: { graceMs: {}, processes: { items: { properties: { health: { oneOf: [{ properties: { http: {} } }] } } } } },
    };
    const options = optionNames(schema);
    expect([...options].sort()).toEqual(['graceMs', 'health', 'http', 'processes']);
    const page = ['### `@loa/plugin:dev`', '| option | what |', '|---|---|', '| `graceMs` | … |', '| `processes` | … `health`, `http` |', '### `@loa/plugin:image`', '`debounceMs`'].join('\n');
    expect(drift(page, '`@loa/plugin:dev`', options)).toEqual({ missing: [], unknown: [] });
    // A nested option left out.
    expect(drift(page.replace('`http`', 'http'), '`@loa/plugin:dev`', options).missing).toEqual(['http']);
    // A row for an option the schema no longer has.
    expect(drift(page.replace('| `graceMs` |', '| `gracePeriodMs` | gone |\n| `graceMs` |'), '`@loa/plugin:dev`', options).unknown).toEqual(['gracePeriodMs']);
    // Named only in another section does not count.
    expect(drift(page, '`@loa/plugin:dev`', new Set([...options, 'debounceMs'])).missing).toEqual(['debounceMs']);
    expect(() => section(page, '`@loa/plugin:smoke`')).toThrow('README.md has no heading with `@loa/plugin:smoke`');
  });
});
