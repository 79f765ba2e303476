import { getSandbox, Sandbox } from '@cloudflare/sandbox';
import { handleRequest, type GatewaySandbox } from './gateway.ts';
import type { WorkerSecrets } from './secrets.ts';

// The container class wrangler.jsonc binds as the Sandbox Durable Object.
export { Sandbox };

/** Bindings from wrangler.jsonc, and the secrets set with `wrangler secret put` (see secrets.ts). */
interface Env extends WorkerSecrets {
  Sandbox: Parameters<typeof getSandbox>[0];
  MOLTBOT_BUCKET: unknown;
}

export default {
  async fetch(request: Request, env: Env, ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<Response> {
    // One container for the deployment (max_instances: 1); created only when a route needs it.
    return handleRequest(request, () => getSandbox(env.Sandbox, 'loa') as unknown as GatewaySandbox, env, (work) => ctx.waitUntil(work));
  },
};
