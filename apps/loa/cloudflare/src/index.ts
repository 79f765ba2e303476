import { getSandbox, Sandbox } from '@cloudflare/sandbox';
import { handleRequest, type GatewaySandbox } from './gateway.ts';

// The container class wrangler.jsonc binds as the Sandbox Durable Object.
export { Sandbox };

interface Env {
  Sandbox: Parameters<typeof getSandbox>[0];
  MOLTBOT_BUCKET: unknown;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // One container for the deployment (max_instances: 1); created only when a route needs it.
    return handleRequest(request, () => getSandbox(env.Sandbox, 'loa') as unknown as GatewaySandbox);
  },
};
