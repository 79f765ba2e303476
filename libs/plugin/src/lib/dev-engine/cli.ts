// The dev engine without Nx: what start-loa-dev.sh runs inside the container, and what tests and the
// benchmark drive with real signals. Node ≥ 22.18 runs it as it is (type stripping), no build step.
//
//   node libs/plugin/bin/loa-dev-engine.mjs --project apps/loa/project.json   (bundled: the lean way)
//   node libs/plugin/src/lib/dev-engine/cli.ts --project apps/loa/project.json [--target dev] [--root .]
//   node libs/plugin/src/lib/dev-engine/cli.ts --options options.json [--root .]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDev } from '../../executors/dev/dev.ts';
import type { DevExecutorSchema } from '../../executors/dev/schema.d.ts';
import schema from '../../executors/dev/schema.json' with { type: 'json' };
import { withSchemaDefaults } from './schema-defaults.ts';

const USAGE = `usage: cli.ts (--project <project.json> [--target dev] | --options <options.json>) [--root <workspace>] [--runtime native]`;

function readOptions(args: { project?: string; target: string; options?: string; root: string }): Partial<DevExecutorSchema> {
  if (args.options) return JSON.parse(readFileSync(resolve(args.root, args.options), 'utf8'));
  const project = JSON.parse(readFileSync(resolve(args.root, args.project!), 'utf8'));
  const target = project.targets?.[args.target];
  if (!target) throw new Error(`${args.project} has no target "${args.target}"`);
  return target.options ?? {};
}

async function main(): Promise<number> {
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
  if (values.help || (!values.project && !values.options)) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const root = resolve(values.root);
  const options = withSchemaDefaults<DevExecutorSchema>(schema, {
    ...readOptions({ project: values.project, target: values.target, options: values.options, root }),
    // Inside the container the engine is the runtime: never recurse into compose.
    runtime: values.runtime as DevExecutorSchema['runtime'],
  });
  return runDev(options, { root, env: process.env, print: (line) => process.stdout.write(`${line}\n`) });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`[loa] ERROR: ${error.message}\n`);
    process.exit(1);
  },
);
