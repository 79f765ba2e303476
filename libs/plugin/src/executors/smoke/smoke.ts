import type { ExecutorContext } from '@nx/devkit';
import { expand, EnvFileError, taskScope, type TaskScope, createRedactor, skippedNotice, type Redactor, loadSecrets, checkOptions, httpUrlProblem, maskUrlCredentials } from '../../../../dev-engine/src/index.ts';
import { smokeTest } from '../../lib/smoke/smoke.ts';
import type { SmokeExecutorSchema } from './schema.d.ts';
import schema from './schema.json' with { type: 'json' };

/**
 * Secrets that may sit in a URL (CF_SUBDOMAIN, the workers.dev subdomain) are expanded to run and hidden
 * when printed, with every Cloudflare value and every value of the dotenv files Nx loaded (`secrets.root`).
 */
export async function runSmoke(
  rawOptions: Partial<SmokeExecutorSchema>,
  rawPrint: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  secrets: { root?: string; scope?: TaskScope } = {},
): Promise<number> {
  let redact: Redactor;
  try {
    redact = secrets.root ? loadSecrets(secrets.root, env, { scope: secrets.scope }).redact : createRedactor({}, env);
  } catch (error) {
    if (!(error instanceof EnvFileError)) throw error;
    rawPrint(`[smoke] ERROR: ${error.message}`);
    return 1;
  }
  const print = (line: string) => rawPrint(redact(line));
  const notice = skippedNotice(redact);
  if (notice) print(`[smoke] ${notice}`);
  const options = checkOptions<SmokeExecutorSchema>(schema, rawOptions, (problem) => print(`[smoke] ERROR: ${problem}`));
  if (!options) return 1;
  // A URL on the command line replaces the configured list (`nx run loa:smoke --url=…` must not also
  // check the default workers.dev URL, which needs CF_SUBDOMAIN).
  const urls = (options.url ? [options.url] : (options.urls ?? [])).map((url) => expand(url, env));
  const unset = urls.filter((url) => /\/\/\.|\.\.|\/\/\//.test(url));
  if (unset.length) {
    print(`[smoke] ERROR: a variable in ${unset.join(', ')} is not set — set it in the environment or pass "url"`);
    return 1;
  }
  if (urls.length === 0) {
    print('[smoke] ERROR: no URL to check — give "url" or "urls"');
    return 1;
  }
  const malformed = urls.flatMap((url) => {
    const problem = httpUrlProblem(url);
    return problem ? [`${maskUrlCredentials(url)} — ${problem}`] : [];
  });
  if (malformed.length) {
    for (const line of malformed) print(`[smoke] ERROR: ${line}`);
    return 1;
  }
  const result = await smokeTest({ ...options, urls }, print);
  print(`[smoke] ${result.summary}`);
  return result.ok ? 0 : 1;
}

export default async function smokeExecutor(options: SmokeExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  return { success: (await runSmoke(options, print, process.env, { root: context.root, scope: taskScope(context) })) === 0 };
}
