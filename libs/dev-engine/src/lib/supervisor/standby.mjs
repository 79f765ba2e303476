// A pre-started Node for a supervised script. It boots the runtime ahead of time and loads nothing
// of the script until the supervisor writes a line to its stdin, so it always runs the code that is
// on disk at that moment. Plain JavaScript: it must start as fast as Node can.
import { stripTypeScriptTypes } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
const entry = resolve(script);
process.argv = [process.argv[0], entry, ...args];

/**
 * Loads Node's TypeScript stripper (~80 ms, paid by the first .ts import) by stripping a line of code.
 * Not by importing a .ts file of ours: under node_modules, where an installed plugin lives, Node refuses
 * to strip one. The call's "experimental" warning is this file's business, not the service's output.
 */
async function warmTypeStripper() {
  if (!process.features.typescript || typeof stripTypeScriptTypes !== 'function') return;
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    stripTypeScriptTypes('export const warmedUp: boolean = true;');
  } finally {
    process.emitWarning = emitWarning;
  }
}

// Pay for what every start pays for before the restart, not during it: the TypeScript stripper and
// the builtins a service loads. None of it is the script's code.
const warmup = Promise.allSettled([
  warmTypeStripper(),
  import('node:http'),
  import('node:net'),
  import('node:crypto'),
  import('node:fs'),
]);

process.stdin.once('data', async () => {
  await warmup;
  process.stdin.removeAllListeners('end');
  process.stdin.destroy();
  import(pathToFileURL(entry).href).catch((error) => {
    console.error(error);
    process.exit(1);
  });
});
// The supervisor is gone before it needed us: never linger as an orphan.
process.stdin.once('end', () => process.exit(0));
