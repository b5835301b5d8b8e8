import { z } from 'zod';

/** Environment variables of agents that connect in (/v1/agents/ws, dial-in routes), part of ENV_VARS. */

/** One entry of the table (the shape of `EnvVarSpec` in env-vars.ts, which spreads this table into its own). */
function spec<const T extends { schema: z.ZodType; default?: string; description: string }>(s: T): T {
  return s;
}

export const AGENT_ENV_VARS = {
  AGENT_TOKEN_TTL_MS: spec({
    schema: z.coerce.number().int().min(1000).max(600_000),
    default: '30000',
    description:
      "How long a one-time token of a dial-in call (the `token` in the start hook's `connectUrl`) stays valid; it is accepted once, for its call only.",
  }),
  AGENT_CONNECT_BASE_URL: spec({
    schema: z.url({ protocol: /^wss?$/, message: 'expected a ws:// or wss:// URL' }),
    description:
      "Public base URL under which agents reach this instance's /v1/agents/ws (e.g. `wss://adapter.example.com`), used in the start hook's `connectUrl`. Default: `ws://` and the HTTP server's address (`HTTP_HOST`, 127.0.0.1 when it listens on every interface, and its port).",
  }),
};
