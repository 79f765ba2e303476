import type { ExecutorContext } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvFileError, taskScope, type TaskScope, skippedNotice, type Redactor, loadSecrets, runCommand, JsoncError, checkOptions } from '../../../../dev-engine/src/index.ts';
import { smokeTest } from '../../lib/smoke/smoke.ts';
import { deployArgs, dryRunArgs, rollbackArgs, rolloutDecision, workerName } from '../../lib/wrangler/wrangler.ts';
import type { DeployCfExecutorSchema } from './schema.d.ts';
import schema from './schema.json' with { type: 'json' };

/** What a real deploy needs from the environment; never from options or the command line. */
export const DEPLOY_SECRETS = ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID'] as const;

export interface DeployContext {
  root: string;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
  /** The Nx task being run, for the dotenv files Nx loaded into `env`. */
  scope?: TaskScope;
}

async function changedFiles(root: string, base: string | undefined, head: string, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  if (!base) return undefined;
  const diff = await runCommand('git', ['diff', '--name-only', base, head], { cwd: root, env });
  return diff.exitCode === 0 ? diff.stdout.split('\n').filter(Boolean) : undefined;
}

export async function deployCf(rawOptions: Partial<DeployCfExecutorSchema>, context: DeployContext): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...context.env, WRANGLER_SEND_METRICS: 'false' };
  // Every Cloudflare value and every value of a dotenv file Nx loaded into this task's environment (and so
  // wrangler's) is hidden, wherever it shows up: our lines, wrangler's, errors.
  let redact: Redactor;
  try {
    ({ redact } = loadSecrets(context.root, env, { scope: context.scope }));
  } catch (error) {
    if (!(error instanceof EnvFileError)) throw error;
    context.print(`[deploy] ERROR: ${error.message}`);
    return 1;
  }
  const say = (line: string) => context.print(redact(`[deploy] ${line}`));
  const relay = (line: string) => context.print(redact(`[wrangler] ${line}`));
  const notice = skippedNotice(redact);
  if (notice) say(notice);

  // Every option is checked before wrangler runs: Nx does not enforce minimums on integers, nor formats.
  const options = checkOptions<DeployCfExecutorSchema>(schema, rawOptions, (problem) => say(`ERROR: ${problem}`));
  if (!options) return 1;

  const cwd = resolve(context.root, options.cwd);
  const wrangler = options.wrangler ?? join(context.root, 'node_modules/.bin/wrangler');
  let name: string;
  try {
    name = workerName(join(cwd, 'wrangler.jsonc'), context.root);
  } catch (error) {
    const syntax = error instanceof JsoncError && existsSync(join(cwd, 'wrangler.jsonc'));
    if (syntax) for (const problem of (error as JsoncError).problems) say(`ERROR: ${problem}`);
    else say(`ERROR: ${(error as Error).message} — point "cwd" at the Worker's folder`);
    return 1;
  }

  if (options.dryRun) {
    say(`dry run of ${name}: bundling without uploading or building the image`);
    const result = await runCommand(wrangler, dryRunArgs(resolve(context.root, options.outDir)), { cwd, env, onLine: relay });
    say(result.exitCode === 0 ? `dry run ok: bundle in ${options.outDir}` : `ERROR: dry run failed (exit ${result.exitCode}${result.spawnError ? `, ${result.spawnError}` : ''})`);
    return result.exitCode === 0 ? 0 : 1;
  }

  const missing = DEPLOY_SECRETS.filter((secret) => !env[secret]);
  if (!options.url && !env.CF_SUBDOMAIN) missing.push('CF_SUBDOMAIN' as never);
  if (missing.length) {
    say(`ERROR: ${missing.join(', ')} not set — set ${missing.length > 1 ? 'them' : 'it'} in the environment (in CI: the repository's secrets, passed at step level)${options.url ? '' : '; CF_SUBDOMAIN can be replaced by the "url" option'}`);
    return 1;
  }
  const baseUrl = (options.url ?? `https://${name}.${env.CF_SUBDOMAIN}.workers.dev`).replace(/\/+$/, '');

  // A revision is passed to `git diff` as an argument: one that starts with "-" would be read as an
  // option (`--output=<file>` writes a file, `--relative=<dir>` hides image inputs and makes a full
  // deploy Worker-only).
  const base = options.base ?? env.NX_BASE;
  const head = options.head ?? env.NX_HEAD ?? 'HEAD';
  for (const [what, revision] of [
    [options.base !== undefined ? 'base' : 'NX_BASE', base],
    [options.head !== undefined ? 'head' : 'NX_HEAD', head],
  ] as const) {
    if (revision?.startsWith('-')) {
      say(`ERROR: ${what} is "${revision}", which git would read as an option, not a revision — pass a commit SHA or a ref; nothing deployed`);
      return 1;
    }
  }
  const decision = rolloutDecision(
    await changedFiles(context.root, base, head, env),
    options.workerFiles,
    options.imageInputs,
  );
  say(`deploying ${name}: ${decision.reason}`);
  const deploy = await runCommand(wrangler, deployArgs(decision.workerOnly), { cwd, env, onLine: relay });
  if (deploy.exitCode !== 0) {
    say(`ERROR: wrangler deploy failed (exit ${deploy.exitCode}${deploy.spawnError ? `, ${deploy.spawnError}` : ''}); nothing new is live, so no smoke test and no rollback`);
    return 1;
  }

  // /sandbox-health only proves the Worker script deployed; /api/status asks the container's gateway.
  const smoke = await smokeTest(
    {
      urls: [`${baseUrl}/sandbox-health`],
      attempts: options.smokeAttempts,
      delaySeconds: options.smokeDelaySeconds,
      timeoutSeconds: options.smokeTimeoutSeconds,
      expectStatus: 200,
    },
    (line) => context.print(redact(line)),
  );
  const status = smoke.ok
    ? await smokeTest(
        {
          urls: [`${baseUrl}/api/status`],
          attempts: options.smokeAttempts,
          delaySeconds: options.smokeDelaySeconds,
          timeoutSeconds: options.smokeTimeoutSeconds,
          expectStatus: 200,
          expectJson: { ok: true },
        },
        (line) => context.print(redact(line)),
      )
    : undefined;
  if (smoke.ok && status?.ok) {
    say(`deployed ${name} (${decision.workerOnly ? 'Worker only' : 'Worker and container'}): ${smoke.summary.replace('smoke test passed: ', '')} and ${status.summary.replace('smoke test passed: ', '')} healthy`);
    return 0;
  }

  const failure = (status ?? smoke).summary;
  if (!options.rollback) {
    say(`ERROR: ${failure}; rollback is off, so the new version stays live — roll back by hand: npx wrangler rollback`);
    return 1;
  }
  say(`${failure}; rolling back`);
  const rollback = await runCommand(wrangler, rollbackArgs(`Automated rollback: smoke test failed after deploy of ${name}`), { cwd, env, onLine: relay });
  if (rollback.exitCode !== 0) {
    say(`ERROR: ${failure}; the rollback FAILED too (exit ${rollback.exitCode}) — roll back by hand: npx wrangler rollback`);
    return 1;
  }
  say(`ERROR: ${failure}; rolled ${name} back to its previous version (Durable Objects and R2 are not reverted by a rollback)`);
  return 1;
}

export default async function deployCfExecutor(options: DeployCfExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const code = await deployCf(options, { root: context.root, env: process.env, print: (line) => process.stdout.write(`${line}\n`), scope: taskScope(context) });
  return { success: code === 0 };
}
