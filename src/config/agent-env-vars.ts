import { z } from 'zod';
import { envSpec } from './env-spec.js';

/**
 * Environment variables of agents that connect in (/v1/agents/ws, dial-in routes) and of the incoming-call webhook of
 * openai-sip routes; part of ENV_VARS.
 */

export const AGENT_ENV_VARS = {
  AGENT_TOKEN_TTL_MS: envSpec({
    schema: z.coerce.number().int().min(1000).max(600_000),
    default: '30000',
    description:
      "How long a one-time token of a dial-in call (the `token` in the start hook's `connectUrl`) stays valid; it is accepted once, for its call only.",
  }),
  AGENT_CONNECT_BASE_URL: envSpec({
    schema: z.url({ protocol: /^wss?$/, message: 'expected a ws:// or wss:// URL' }),
    description:
      "Public base URL under which agents reach this instance's /v1/agents/ws (e.g. `wss://adapter.example.com`), used in the start hook's `connectUrl`. Default: `ws://` and the HTTP server's address (`HTTP_HOST`, 127.0.0.1 when it listens on every interface, and its port).",
  }),
  OPENAI_SIP_WEBHOOK_TOLERANCE_S: envSpec({
    schema: z.coerce.number().int().min(10).max(3600),
    default: '300',
    description:
      'openai-sip routes: how far (seconds) the webhook-timestamp of an incoming-call webhook may be from our clock.',
  }),
};
