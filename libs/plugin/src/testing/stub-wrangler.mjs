#!/usr/bin/env node
// A stand-in for wrangler where it would reach the Cloudflare API (which cannot be reached from a
// test). It records each call (arguments, folder, the secrets it received through its environment) in
// $STUB_WRANGLER_LOG, echoes the account and token as a careless CLI might (the caller must redact
// them), and fails the subcommands listed in $STUB_WRANGLER_FAIL.
import { appendFileSync } from 'node:fs';

const args = process.argv.slice(2);
const [command] = args;
appendFileSync(
  process.env.STUB_WRANGLER_LOG,
  `${JSON.stringify({
    args,
    cwd: process.cwd(),
    env: {
      CLOUDFLARE_API_TOKEN: process.env.CLOUDFLARE_API_TOKEN,
      CLOUDFLARE_ACCOUNT_ID: process.env.CLOUDFLARE_ACCOUNT_ID,
      WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS,
    },
  })}\n`,
);
console.log(`Using account ${process.env.CLOUDFLARE_ACCOUNT_ID} (token ${process.env.CLOUDFLARE_API_TOKEN})`);
// $STUB_WRANGLER_ECHO names more variables to print with their values, as a CLI dumping its config might.
for (const name of (process.env.STUB_WRANGLER_ECHO ?? '').split(',').filter(Boolean)) console.error(`${name}=${process.env[name]}`);
if ((process.env.STUB_WRANGLER_FAIL ?? '').split(',').includes(command)) {
  console.error(`✘ [ERROR] ${command} failed (stub)`);
  process.exit(1);
}
console.log(command === 'deploy' ? 'Uploaded loa-beauvoir; Current Version ID: 0000-stub' : `${command}: done`);
