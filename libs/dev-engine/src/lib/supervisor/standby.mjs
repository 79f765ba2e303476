// A pre-started Node for a supervised script. It boots the runtime ahead of time and loads nothing
// of the script until the supervisor writes a line to its stdin, so it always runs the code that is
// on disk at that moment. Plain JavaScript: it must start as fast as Node can.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
const entry = resolve(script);
process.argv = [process.argv[0], entry, ...args];

// Pay for what every start pays for before the restart, not during it: the TypeScript stripper
// (first .ts import) and the builtins a service loads. None of it is the script's code.
const warmup = Promise.allSettled([
  process.features.typescript ? import('./standby-warmup.ts') : undefined,
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
