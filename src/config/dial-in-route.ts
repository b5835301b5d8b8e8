import { z } from 'zod';

/**
 * Route configuration of agents that dial in (`agent.kind = "dial-in"`): a call of the route waits, up to `waitMs`,
 * for an agent to connect to the adapter's `/v1/agents/ws` and claim it, and gets the route's fallback when none
 * does. With `start`, the adapter asks the agent to come: it POSTs a signed request carrying a `connectUrl` with a
 * one-time token for the call (docs/agent-protocol.md, "Agents that dial in").
 */

/** Name of an environment variable holding a secret (the routes file never holds secrets). */
const secretEnv = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable holding the secret, e.g. BOT_START_SECRET');

/** The agent start hook: a signed POST when a call arrives, asking a bot to connect in. */
export const agentStartHookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
    /** Environment variable holding the secret the request is signed with (`X-Ava-Signature`, as webhooks). */
    secretEnv,
    /** How long the POST may take; a timeout counts as a failed start (fallback). Default 5000. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  })
  .strict();

export const dialInAgentSchema = z
  .object({
    kind: z.literal('dial-in'),
    /** What the connecting agent speaks: `native` (docs/agent-protocol.md) or `pipecat` (protobuf frames). */
    dialect: z.enum(['native', 'pipecat']).default('native'),
    /** PCM16 rate of the audio frames both ways (Pipecat: of the caller's audio frames). */
    sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(24000)]).default(16000),
    /** How long the call waits for an agent to connect and claim it before the route's fallback. Default 30000. */
    waitMs: z.number().int().min(100).max(600_000).default(30_000),
    start: agentStartHookSchema.optional(),
  })
  .strict();

export type AgentStartHookConfig = z.output<typeof agentStartHookSchema>;
export type DialInAgentConfig = z.output<typeof dialInAgentSchema>;
