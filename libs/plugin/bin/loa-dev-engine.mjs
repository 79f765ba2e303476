#!/usr/bin/env node
// Runs the dev engine (src/lib/dev-engine/cli.ts) from a JavaScript bundle. Node can run the
// TypeScript as it is, but its type stripper keeps ~37 MB in a process that lives all day; the bundle
// is built with esbuild on first use, rebuilt when a source is newer, and cached in dist/.
// Arguments are the CLI's: --project apps/loa/project.json | --options file.json, --root, --runtime.
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
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
    return statSync(bundle).mtimeMs;
  } catch {
    return 0;
  }
}

// This file holds the build options: a change to it rebuilds too.
if (bundleTime() < Math.max(newestSource(src), statSync(fileURLToPath(import.meta.url)).mtimeMs)) {
  mkdirSync(outDir, { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: { cli: join(src, 'lib/dev-engine/cli.ts') },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'warning',
    // ESM builds first: jsonc-parser's UMD main requires its own files by computed paths, which a
    // bundle cannot resolve ("Cannot find module './impl/format'").
    mainFields: ['module', 'main'],
    // CommonJS dependencies (execa, which) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __loaCreateRequire } from 'node:module'; const require = __loaCreateRequire(import.meta.url);" },
  });
  for (const file of companions) copyFileSync(join(src, file), join(outDir, file.split('/').pop()));
}

await import(pathToFileURL(bundle).href);
