import { z } from 'zod';
import { dialableListSchema } from './dialable.js';
import { dialInAgentSchema } from './dial-in-route.js';
import { amdOptionsSchema } from './amd-config.js';
import { openaiSipAgentSchema } from './openai-sip-route.js';
import { realtimeAgentSchema } from './realtime-route.js';
import { reconnectConfigSchema } from './reconnect-config.js';
import { routeTransferSchema } from './warm-transfer-route.js';
import { webrtcAgentSchema } from './webrtc-route.js';

/**
 * A route picks the agent for a call. Matching: a route matches when every condition it states holds; the first
 * matching route in file order wins. Patterns are anchored regular expressions written as strings.
 */
const pattern = z.string().refine(
  (s) => {
    try {
      new RegExp(`^(?:${s})$`);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const uuid = z.uuid({ message: 'expected a UUID like 3f2b6c1e-…' });

export const routeMatchSchema = z
  .object({
    /** First argument of `Stasis(app,<arg>)`, exact. */
    stasisArg: z.string().min(1).optional(),
    /** Dialled extension (channel dialplan exten), anchored regex. */
    extension: pattern.optional(),
    /** Caller number, anchored regex. */
    caller: pattern.optional(),
    /** Called number, anchored regex. */
    callee: pattern.optional(),
    /** AudioSocket UUIDs this route accepts in dialplan-direct mode. */
    audiosocketUuids: z.array(uuid).optional(),
  })
  .strict();

export const echoAgentSchema = z.object({ kind: z.literal('echo') }).strict();

/** Name of an environment variable holding a secret: secrets never live in the routes file itself. */
const secretEnv = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable holding the secret, e.g. SALES_AGENT_SECRET');

const wsUrl = z.url({ protocol: /^wss?$/, message: 'expected a ws:// or wss:// URL' });

/** Agent WebSocket connections: 3 attempts in total, backing off from 250 ms to 2 s. */
const reconnectSchema = reconnectConfigSchema({ maxAttempts: 3, initialMs: 250, maxMs: 2000 });

export const websocketAgentSchema = z
  .object({
    kind: z.literal('websocket'),
    url: wsUrl,
    secretEnv: secretEnv.optional(),
    /** PCM16 rate of the binary audio frames both ways (Pipecat: of the caller's audio frames). */
    sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(24000)]).default(16000),
    /**
     * What the socket speaks: `native` (the agent protocol, docs/agent-protocol.md) or `pipecat` (Pipecat's protobuf
     * frames, for a bot with a WebSocket server transport and `ProtobufFrameSerializer`).
     */
    dialect: z.enum(['native', 'pipecat']).default('native'),
    reconnect: reconnectSchema,
  })
  .strict();

export const twilioAgentSchema = z
  .object({
    kind: z.literal('twilio'),
    url: wsUrl,
    secretEnv: secretEnv.optional(),
    reconnect: reconnectSchema,
  })
  .strict();

export const agentSchema = z.discriminatedUnion('kind', [
  echoAgentSchema,
  websocketAgentSchema,
  twilioAgentSchema,
  webrtcAgentSchema,
  realtimeAgentSchema,
  dialInAgentSchema,
  openaiSipAgentSchema,
]);

/** What the caller gets when the agent cannot be reached or fails for good. */
export const fallbackSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('hangup') }).strict(),
  z
    .object({
      action: z.literal('play'),
      /** ARI media URI, e.g. `sound:tt-allbusy`; played, then the call is hung up. */
      media: z.string().min(1),
    })
    .strict(),
]);

/** A route's webhook: lifecycle events of its calls are POSTed here, signed with the secret the env var holds. */
export const routeWebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
    secretEnv,
    /** Event types to send (e.g. `call.ended`); all when absent. */
    events: z.array(z.string().min(1).max(64)).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).optional(),
  })
  .strict();

/** An HTTP tool the route's agent may call (function calling): a signed POST to `url`. */
export const routeToolSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a function name: letters, digits, _ and -'),
    description: z.string().max(1024).optional(),
    /** JSON Schema of the arguments, as given to the model. */
    parameters: z.record(z.string(), z.unknown()).optional(),
    url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }),
    secretEnv,
    timeoutMs: z.number().int().min(100).max(300_000).optional(),
    /** The tool dedupes on X-Ava-Idempotency-Key, so a call interrupted by a crash may be sent again. */
    idempotent: z.boolean().optional(),
  })
  .strict();

export const bargeInSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Utterance ids (native protocol playId) or `greeting` that the caller cannot interrupt. */
    protectGreeting: z.boolean().default(false),
  })
  .strict();

export const routeSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    match: routeMatchSchema.default({}),
    agent: agentSchema,
    /**
     * Format asked of Asterisk for externalMedia: `slin` (8 kHz) or `slin16`; with `media: rtp` also `ulaw` or
     * `alaw` (G.711 end to end, no conversion in Asterisk for G.711 callers).
     */
    audioFormat: z.enum(['slin', 'slin16', 'ulaw', 'alaw']).optional(),
    /**
     * Asterisk media path of Stasis calls: `audiosocket` (default; AudioSocket over TCP) or `websocket`
     * (chan_websocket, Asterisk 20.16/22.6 and later, with playout acknowledgement and flush) or `rtp` (ARI
     * externalMedia over RTP/UDP, a UnicastRTP channel, Asterisk 16.6 and later).
     */
    media: z.enum(['audiosocket', 'websocket', 'rtp']).optional(),
    bargeIn: bargeInSchema.default({ enabled: true, protectGreeting: false }),
    fallback: fallbackSchema.default({ action: 'hangup' }),
    /** Values handed to the agent (native `incoming.customParameters`, Twilio `start.customParameters`). */
    customParameters: z.record(z.string(), z.string()).default({}),
    webhooks: z.array(routeWebhookSchema).default([]),
    tools: z.array(routeToolSchema).default([]),
    /** Callers allowed on this route (anchored regex); others are rejected. */
    callerAllowlist: z.array(pattern).optional(),
    /** Transfer settings: `warm` (see `warm-transfer-route.ts`); every field defaulted when absent. */
    transfer: routeTransferSchema.optional(),
    /** Destinations agents may `invite` on this route (patterns with `*`, see dialable.ts); none when absent. */
    dialable: dialableListSchema.optional(),
    /** Answering-machine detection for outbound calls on this route (an originate's `amd` overrides it). */
    amd: amdOptionsSchema.optional(),
  })
  .strict();

export const routesFileSchema = z
  .object({
    routes: z.array(routeSchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.routes.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: 'duplicate name' });
      seen.add(r.name);
      if ((r.audioFormat === 'ulaw' || r.audioFormat === 'alaw') && r.media !== 'rtp')
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'audioFormat'],
          message: `${r.audioFormat} needs media "rtp" (AudioSocket and chan_websocket routes use slin or slin16)`,
        });
    });
  });

export type RouteWebhook = z.output<typeof routeWebhookSchema>;
export type RouteTool = z.output<typeof routeToolSchema>;
export type FallbackConfig = z.output<typeof fallbackSchema>;
export type { ReconnectConfig } from './reconnect-config.js';
export type RouteMatch = z.output<typeof routeMatchSchema>;
export type AgentConfig = z.output<typeof agentSchema>;
export type { RealtimeAgentConfig } from './realtime-route.js';
export type { WebRtcAgentConfig } from './webrtc-route.js';
export type { AgentStartHookConfig, DialInAgentConfig } from './dial-in-route.js';
export type { OpenAiSipAgentConfig } from './openai-sip-route.js';
/** A route as written in the routes file. */
export type RouteInput = z.output<typeof routeSchema>;
/** A route after loading: defaults from the environment applied. */
export type Route = Omit<RouteInput, 'audioFormat'> & { audioFormat: NonNullable<RouteInput['audioFormat']> };
export type RoutesFile = z.output<typeof routesFileSchema>;
