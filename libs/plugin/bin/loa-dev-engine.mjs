#!/usr/bin/env node
// Runs the dev engine (src/lib/dev-engine/cli.ts) from a JavaScript bundle. Node can run the
// TypeScript as it is, but its type stripper keeps ~37 MB in a process that lives all day; the bundle
// is built with esbuild on first use, rebuilt when a source is newer, and cached in dist/.
// Arguments are the CLI's: --project apps/loa/project.json | --options file.json, --root, --runtime.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pluginRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(pluginRoot, 'src');
const outDir = process.env.LOA_ENGINE_BUNDLE_DIR ?? join(pluginRoot, 'dist', 'dev-engine');
const bundle = join(outDir, 'cli.mjs');
// Code splitting: what only some runs need (the compose runtime) stays in chunks that load on demand.
// Files the bundle loads beside itself, at run time, by path.
const companions = ['lib/supervisor/standby.mjs', 'lib/supervisor/standby-warmup.ts'];

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleTime() {
  try {
    const stat = statSync(bundle);
    // An empty cli.mjs is what a build that ran out of space left behind (before builds were atomic).
    return stat.size > 0 ? stat.mtimeMs : 0;
  } catch {
    return 0;
  }
}

/**
 * Builds into a fresh folder beside outDir, then moves the files in, cli.mjs last: a build that fails
 * half-way (a full disk, a read-only folder) or an engine starting beside it never sees a truncated
 * bundle that is newer than the sources, which would be reused, silently doing nothing, until a
 * source changed.
 */
async function buildBundle() {
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = mkdtempSync(`${outDir}.build-`);
  try {
    const { build } = await import('esbuild');
    await build({
      entryPoints: { cli: join(src, 'lib/dev-engine/cli.ts') },
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      splitting: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      logLevel: 'silent',
      // ESM builds first: jsonc-parser's UMD main requires its own files by computed paths, which a
      // bundle cannot resolve ("Cannot find module './impl/format'").
      mainFields: ['module', 'main'],
      // CommonJS dependencies (execa, which) call require(); give the ESM bundle one.
      banner: { js: "import { createRequire as __loaCreateRequire } from 'node:module'; const require = __loaCreateRequire(import.meta.url);" },
    });
    for (const file of companions) copyFileSync(join(src, file), join(staging, file.split('/').pop()));
    mkdirSync(outDir, { recursive: true });
    const files = readdirSync(staging).sort((a, b) => (a === 'cli.mjs') - (b === 'cli.mjs'));
    for (const file of files) renameSync(join(staging, file), join(outDir, file));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

// This file holds the build options: a change to it rebuilds too.
let entry = bundle;
if (bundleTime() < Math.max(newestSource(src), statSync(fileURLToPath(import.meta.url)).mtimeMs)) {
  try {
    await buildBundle();
  } catch (error) {
    // The engine runs without the bundle too (Node strips the types), only heavier: say so in one line.
    const why = error.errors?.[0]?.text ?? error.code ?? error.message;
    process.stderr.write(`[loa] cannot build the engine bundle in ${outDir} (${why}); running the TypeScript sources instead — free space or fix that folder's permissions, or set LOA_ENGINE_BUNDLE_DIR\n`);
    entry = join(src, 'lib/dev-engine/cli.ts');
  }
}

await import(pathToFileURL(entry).href);
