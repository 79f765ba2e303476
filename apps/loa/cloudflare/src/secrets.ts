// The Worker's secrets (`wrangler secret put NAME`) and the environment the container's start script
// gets from them. The container has none of its own: openclaw refuses a non-loopback bind without a
// token (exit 78), so a start without OPENCLAW_GATEWAY_TOKEN never serves and every deploy rolls back.
// Names follow the upstream moltworker Worker, so a deployment migrated from it keeps its secrets.

/** Every Worker secret the start script can use. Values are strings when set; never logged or echoed. */
export interface WorkerSecrets {
  /** The gateway's auth token (required). */
  OPENCLAW_GATEWAY_TOKEN?: string;
  /** Upstream moltworker's name for the same token; used when OPENCLAW_GATEWAY_TOKEN is unset. */
  MOLTBOT_GATEWAY_TOKEN?: string;
  /** The AI provider (one of these is required): Anthropic… */
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  /** …or OpenAI… */
  OPENAI_API_KEY?: string;
  /** …or Cloudflare AI Gateway (all three)… */
  CLOUDFLARE_AI_GATEWAY_API_KEY?: string;
  CF_AI_GATEWAY_ACCOUNT_ID?: string;
  CF_AI_GATEWAY_GATEWAY_ID?: string;
  CF_AI_GATEWAY_MODEL?: string;
  /** …or a legacy AI Gateway URL with its key (routed as the Anthropic base URL). */
  AI_GATEWAY_API_KEY?: string;
  AI_GATEWAY_BASE_URL?: string;
  /** Chat channels (optional). */
  TELEGRAM_BOT_TOKEN?: string;
  TELEGRAM_DM_POLICY?: string;
  DISCORD_BOT_TOKEN?: string;
  DISCORD_DM_POLICY?: string;
  SLACK_BOT_TOKEN?: string;
  SLACK_APP_TOKEN?: string;
  /** R2 state sync (optional). */
  CF_ACCOUNT_ID?: string;
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  R2_BUCKET_NAME?: string;
}

export type SecretName = keyof WorkerSecrets;

/** Passed to the start script under the same name when set. */
const PASSED_AS_IS = [
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'CLOUDFLARE_AI_GATEWAY_API_KEY',
  'CF_AI_GATEWAY_ACCOUNT_ID',
  'CF_AI_GATEWAY_GATEWAY_ID',
  'CF_AI_GATEWAY_MODEL',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_DM_POLICY',
  'DISCORD_BOT_TOKEN',
  'DISCORD_DM_POLICY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'CF_ACCOUNT_ID',
  'R2_ACCESS_KEY_ID',
  'R2_SECRET_ACCESS_KEY',
  'R2_BUCKET_NAME',
] as const satisfies readonly SecretName[];

/** Every secret name, for the README and wrangler.jsonc's comment (a test keeps them in step). */
export const SECRET_NAMES: readonly SecretName[] = [
  'OPENCLAW_GATEWAY_TOKEN',
  'MOLTBOT_GATEWAY_TOKEN',
  'ANTHROPIC_BASE_URL',
  'AI_GATEWAY_API_KEY',
  'AI_GATEWAY_BASE_URL',
  ...PASSED_AS_IS,
];

/** An empty string counts as unset: `wrangler secret put` with an empty line stores one. */
const set = (value: string | undefined): value is string => typeof value === 'string' && value.trim() !== '';

/** The names of the required secrets that are missing, each as it should be set. Empty when complete. */
export function missingSecrets(secrets: WorkerSecrets): string[] {
  const missing: string[] = [];
  if (!set(secrets.OPENCLAW_GATEWAY_TOKEN) && !set(secrets.MOLTBOT_GATEWAY_TOKEN)) missing.push('OPENCLAW_GATEWAY_TOKEN');
  const aiProvider =
    set(secrets.ANTHROPIC_API_KEY) ||
    set(secrets.OPENAI_API_KEY) ||
    (set(secrets.CLOUDFLARE_AI_GATEWAY_API_KEY) && set(secrets.CF_AI_GATEWAY_ACCOUNT_ID) && set(secrets.CF_AI_GATEWAY_GATEWAY_ID)) ||
    (set(secrets.AI_GATEWAY_API_KEY) && set(secrets.AI_GATEWAY_BASE_URL));
  if (!aiProvider) missing.push('ANTHROPIC_API_KEY');
  return missing;
}

/** The environment the start script runs with: only secrets that are set, under the names openclaw reads. */
export function processEnv(secrets: WorkerSecrets): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_AS_IS) {
    const value = secrets[name];
    if (set(value)) env[name] = value;
  }
  const token = set(secrets.OPENCLAW_GATEWAY_TOKEN) ? secrets.OPENCLAW_GATEWAY_TOKEN : secrets.MOLTBOT_GATEWAY_TOKEN;
  if (set(token)) env.OPENCLAW_GATEWAY_TOKEN = token;
  // A legacy AI Gateway fronts Anthropic: its URL becomes the base URL and its key the API key (as upstream).
  if (set(secrets.AI_GATEWAY_API_KEY) && set(secrets.AI_GATEWAY_BASE_URL)) {
    const base = secrets.AI_GATEWAY_BASE_URL.replace(/\/+$/, '');
    env.AI_GATEWAY_BASE_URL = base;
    env.ANTHROPIC_BASE_URL = base;
    env.ANTHROPIC_API_KEY = secrets.AI_GATEWAY_API_KEY;
  } else if (set(secrets.ANTHROPIC_BASE_URL)) {
    env.ANTHROPIC_BASE_URL = secrets.ANTHROPIC_BASE_URL;
  }
  return env;
}

/** The one-line answer for a deployment that lacks a required secret: names only, never values. */
export function missingSecretsMessage(missing: string[]): string {
  const how = missing.map((name) => `wrangler secret put ${name}`).join(' && ');
  const ai = missing.includes('ANTHROPIC_API_KEY') ? ' (or OPENAI_API_KEY, or Cloudflare AI Gateway: CLOUDFLARE_AI_GATEWAY_API_KEY + CF_AI_GATEWAY_ACCOUNT_ID + CF_AI_GATEWAY_GATEWAY_ID)' : '';
  return `Worker secret${missing.length > 1 ? 's' : ''} not set: ${missing.join(', ')}${ai}; the gateway cannot start without ${missing.length > 1 ? 'them' : 'it'} — run \`${how}\` in apps/loa/cloudflare`;
}
