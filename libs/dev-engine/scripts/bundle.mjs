#!/usr/bin/env node
// The engine's build (`nx run dev-engine:build`): bundles src/bin.ts (the CLI) and its dependencies
// into one folder that runs on Node alone, with no node_modules beside it. The dev image copies that
// folder to /opt/loa/engine, and @loa/plugin ships it as `engine/` (its `loa-dev-engine` bin).
//
//   node libs/dev-engine/scripts/bundle.mjs <out-dir>
//
// A bundle, not the TypeScript: Node's type stripper keeps ~37 MB in a process that lives all day,
// and refuses to strip files under node_modules, where an installed plugin lives.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const outArg = process.argv[2];
if (!outArg) {
  process.stderr.write('usage: node libs/dev-engine/scripts/bundle.mjs <out-dir>\n');
  process.exit(2);
}
const outDir = resolve(outArg);
// Files the bundle loads beside itself, at run time, by path (managed-process.ts: new URL('./standby.mjs')).
const companions = ['lib/supervisor/standby.mjs'];

/**
 * Builds into a fresh folder beside outDir, then swaps it in: a build that fails half-way (a full disk,
 * a read-only folder) leaves the previous bundle whole, never a truncated cli.mjs.
 */
async function bundle() {
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(`${outDir}.build-`);
  try {
    const { build } = await import('esbuild');
    await build({
      // bin.ts checks Node's version, then loads the engine (a chunk of its own) dynamically.
      entryPoints: { cli: join(src, 'bin.ts') },
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      // Code splitting: what only some runs need (the compose runtime) stays in chunks that load on demand.
      splitting: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      logLevel: 'warning',
      // ESM builds first: jsonc-parser's UMD main requires its own files by computed paths, which a
      // bundle cannot resolve ("Cannot find module './impl/format'").
      mainFields: ['module', 'main'],
      // CommonJS dependencies (which) call require(); give the ESM bundle one.
      // The hashbang makes cli.mjs the package's bin (a hashbang is valid in every ES module).
      banner: { js: "#!/usr/bin/env node\nimport { createRequire as __loaCreateRequire } from 'node:module'; const require = __loaCreateRequire(import.meta.url);" },
    });
    for (const file of companions) copyFileSync(join(src, file), join(staging, file.split('/').pop()));
    // mkdtemp made it 0700: the image and an installed package are read by other users too.
    chmodSync(staging, 0o755);
    chmodSync(join(staging, 'cli.mjs'), 0o755);
    // A package of its own: `type: module` for the chunks, the bin for `npx loa-dev-engine`.
    writeFileSync(join(staging, 'package.json'), `${JSON.stringify({ name: '@loa/dev-engine-bundle', private: true, type: 'module', bin: { 'loa-dev-engine': './cli.mjs' } }, null, 2)}\n`);
    const old = `${outDir}.old-${process.pid}`;
    rmSync(old, { recursive: true, force: true });
    try {
      renameSync(outDir, old);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    renameSync(staging, outDir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

try {
  await bundle();
  const files = readdirSync(outDir);
  process.stdout.write(`[loa] engine bundled into ${outArg}: ${files.length} files (cli.mjs, ${files.filter((f) => f.startsWith('chunk-')).length} chunks)\n`);
} catch (error) {
  const why = error.errors?.[0]?.text ?? error.code ?? error.message;
  process.stderr.write(`[loa] ERROR: cannot bundle the engine into ${outDir} (${why}): free space or fix that folder's permissions\n`);
  process.exit(1);
}
