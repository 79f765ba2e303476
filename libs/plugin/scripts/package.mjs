#!/usr/bin/env node
// The second half of `nx run plugin:build`, after tsc has compiled the plugin and the engine into
// dist/libs/plugin: what tsc does not write. The schemas and the generator's templates, beside the code
// that reads them; executors.json and generators.json pointing at the JavaScript; the engine's bundle
// (nx run dev-engine:build) as engine/, which Dockerfile.dev copies and the `loa-dev-engine` bin runs;
// and the package.json npm installs from.
//
//   node libs/plugin/scripts/package.mjs <engine-bundle-dir> <out-dir>
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// The engine's own floor (Node runs this script's TypeScript import as it is: it is outside node_modules).
import { NODE_MIN } from '../../dev-engine/src/schema.ts';

const pluginRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const libs = join(pluginRoot, '..');
const [engineArg, outArg] = process.argv.slice(2);
if (!engineArg || !outArg) {
  process.stderr.write('usage: node libs/plugin/scripts/package.mjs <engine-bundle-dir> <out-dir>\n');
  process.exit(2);
}
const engineBundle = resolve(engineArg);
const out = resolve(outArg);

/** Every file below `dir`, as absolute paths. */
const filesUnder = (dir) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));

function fail(message) {
  process.stderr.write(`[loa] ERROR: ${message}\n`);
  process.exit(1);
}
if (!existsSync(join(engineBundle, 'cli.mjs'))) fail(`${engineArg}/cli.mjs is missing: run \`npx nx run dev-engine:build\` first (plugin:build depends on it)`);
if (!existsSync(join(out, 'plugin/src/index.js'))) fail(`${outArg}/plugin/src/index.js is missing: tsc -p libs/plugin/tsconfig.lib.json writes it first`);

// tsc rewrites `./x.ts` to `./x.js` in import paths, but not everywhere (5.9 skips an import() inside an
// `export default` expression): a `.ts` path left in the JavaScript fails only once installed, where
// Node cannot load TypeScript. Refuse to package it.
const unrewritten = [];
for (const path of ['plugin', 'dev-engine'].flatMap((dir) => filesUnder(join(out, dir))).filter((file) => file.endsWith('.js'))) {
  for (const match of readFileSync(path, 'utf8').matchAll(/(?:from\s*|import\s*\(\s*)(['"])(\.{1,2}\/[^'"]+\.ts)\1/g)) unrewritten.push(`${relative(out, path)}: ${match[2]}`);
}
if (unrewritten.length > 0) fail(`the compiled JavaScript still imports TypeScript (rewrite the import so tsc changes it, e.g. no import() inside \`export default …\`):\n  ${unrewritten.join('\n  ')}`);

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** A path as written in libs/plugin (./src/x.ts, ../dev-engine/src/y.json) → its place in the package. */
function packaged(path) {
  const inLibs = relative(libs, resolve(pluginRoot, path)).split('\\').join('/');
  // The package's own root files (package.json, executors.json) stay at its root.
  if (/^plugin\/[^/]+$/.test(inLibs)) return `./${inLibs.slice('plugin/'.length)}`;
  return `./${inLibs.replace(/\.ts$/, '.js')}`;
}

// Files the code reads by path at run time (schemas, templates, the standby launcher): copied as they are.
const assets = [
  ['plugin/src', (file) => file.endsWith('schema.json') || file.includes('/generators/setup/files/')],
  ['dev-engine/src', (file) => file.endsWith('schema.json') || file.endsWith('/standby.mjs')],
];
for (const [from, keep] of assets) {
  for (const file of filesUnder(join(libs, from))) {
    const path = relative(libs, file).split('\\').join('/');
    if (keep(`/${path}`)) cpSync(file, join(out, path));
  }
}

for (const name of ['executors.json', 'generators.json']) {
  const manifest = readJson(join(pluginRoot, name));
  for (const entry of Object.values(manifest.executors ?? manifest.generators)) {
    for (const key of ['implementation', 'factory', 'schema']) if (entry[key]) entry[key] = packaged(entry[key]);
  }
  writeJson(join(out, name), manifest);
}

rmSync(join(out, 'engine'), { recursive: true, force: true });
cpSync(engineBundle, join(out, 'engine'), { recursive: true });
rmSync(join(out, 'engine/package.json'));
chmodSync(join(out, 'engine/cli.mjs'), 0o755);

const source = readJson(join(pluginRoot, 'package.json'));
const exportsMap = {};
for (const [key, path] of Object.entries(source.exports)) exportsMap[key] = packaged(path);
const { main: _main, types: _types, ...rest } = source;
writeJson(join(out, 'package.json'), {
  ...rest,
  main: packaged(source.main),
  exports: exportsMap,
  executors: './executors.json',
  generators: './generators.json',
  bin: { 'loa-dev-engine': './engine/cli.mjs' },
  engines: { node: `>=${NODE_MIN.join('.')}` },
});
cpSync(join(pluginRoot, 'README.md'), join(out, 'README.md'));

const bytes = filesUnder(out).reduce((sum, file) => sum + statSync(file).size, 0);
process.stdout.write(`[loa] @loa/plugin packaged in ${outArg}: ${(bytes / 1024).toFixed(0)} KiB unpacked (npm pack ${outArg} makes the tarball)\n`);
