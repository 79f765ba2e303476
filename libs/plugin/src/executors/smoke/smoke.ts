import type { ExecutorContext } from '@nx/devkit';
import { expand } from '../../lib/env/expand.ts';
import { createRedactor } from '../../lib/env/redact.ts';
import { smokeTest } from '../../lib/smoke/smoke.ts';
import type { SmokeExecutorSchema } from './schema.d.ts';

/** Secrets that may sit in a URL (the workers.dev subdomain): expanded to run, hidden when printed. */
const URL_SECRETS = ['CF_SUBDOMAIN', 'CLOUDFLARE_ACCOUNT_ID'];

export async function runSmoke(options: SmokeExecutorSchema, rawPrint: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const redact = createRedactor(Object.fromEntries(URL_SECRETS.map((name) => [name, env[name] ?? ''])), env);
  const print = (line: string) => rawPrint(redact(line));
  const urls = [...(options.url ? [options.url] : []), ...(options.urls ?? [])].map((url) => expand(url, env));
  const unset = urls.filter((url) => /\/\/\.|\.\.|\/\/\//.test(url));
  if (unset.length) {
    print(`[smoke] ERROR: a variable in ${unset.join(', ')} is not set — set it in the environment or pass "url"`);
    return 1;
  }
  if (urls.length === 0) {
    print('[smoke] ERROR: no URL to check — give "url" or "urls"');
    return 1;
  }
  const result = await smokeTest({ ...options, urls }, print);
  print(`[smoke] ${result.summary}`);
  return result.ok ? 0 : 1;
}

export default async function smokeExecutor(options: SmokeExecutorSchema, _context: ExecutorContext): Promise<{ success: boolean }> {
  return { success: (await runSmoke(options, (line) => process.stdout.write(`${line}\n`))) === 0 };
}
