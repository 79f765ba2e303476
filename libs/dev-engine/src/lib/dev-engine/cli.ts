// The dev engine without Nx: what start-loa-dev.sh runs inside the container, and what tests and the
// benchmark drive with real signals. Node ≥ 22.18 runs it as it is (type stripping), no build step.
//
//   npx nx run dev-engine:build && node dist/libs/dev-engine/cli.mjs --project apps/loa/project.json   (the build: the lean way)
//   node libs/dev-engine/src/lib/dev-engine/cli.ts --project apps/loa/project.json [--target dev] [--root .]
//   node libs/dev-engine/src/lib/dev-engine/cli.ts --options options.json [--root .]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDev } from './run-dev.ts';
import { installFatalHandlers } from '../process/fatal.ts';
import type { DevExecutorSchema } from './schema.d.ts';
import { JsoncError, readJsonc } from '../schema/read-jsonc.ts';

// Named as users run it (the loa-dev-engine bin), whichever file Node was given.
const USAGE = `usage: loa-dev-engine (--project <project.json> [--target dev] | --options <options.json>) [--root <workspace>] [--runtime native]`;

/** The dev target's options as written (runDev checks them and fills the defaults); a file error names the file. */
function readOptions(args: { project?: string; target: string; options?: string; root: string }): Partial<DevExecutorSchema> {
  const file = args.options ?? args.project!;
  const content = readJsonc(resolve(args.root, file), args.root);
  if (content === null || typeof content !== 'object' || Array.isArray(content)) throw new JsoncError([`${file}: expected a JSON object`]);
  if (args.options) return content as Partial<DevExecutorSchema>;
  const target = (content as { targets?: Record<string, { options?: Partial<DevExecutorSchema> }> }).targets?.[args.target];
  if (!target) throw new JsoncError([`${file} has no target "${args.target}" — pass --target with one of its targets`]);
  return target.options ?? {};
}

async function main(): Promise<number> {
  // From the first line on: a closed stdout or an uncaught error is one line on stderr and exit 1, and
  // once the engine runs, every process group it started is stopped first (it registers its cleanup).
  installFatalHandlers();
  const { values } = parseArgs({
    options: {
      project: { type: 'string' },
      target: { type: 'string', default: 'dev' },
      options: { type: 'string' },
      root: { type: 'string', default: process.cwd() },
      runtime: { type: 'string', default: 'native' },
      help: { type: 'boolean', default: false },
    },
  });
  // Asked for, the usage is the output (stdout, exit 0); as the answer to a bad call, an error (stderr, 2).
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.project && !values.options) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const root = resolve(values.root);
  let options: Partial<DevExecutorSchema>;
  try {
    options = readOptions({ project: values.project, target: values.target, options: values.options, root });
  } catch (error) {
    if (!(error instanceof JsoncError)) throw error;
    for (const problem of error.problems) process.stdout.write(`[loa] ERROR: ${problem}\n`);
    return 1;
  }
  // Inside the container the engine is the runtime: never recurse into compose. runDev checks the value.
  return runDev({ ...options, runtime: values.runtime as DevExecutorSchema['runtime'] }, { root, env: process.env, print: (line) => process.stdout.write(`${line}\n`) });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`[loa] ERROR: ${error.message}\n`);
    process.exit(1);
  },
);
