import { z } from 'zod';
import { reconnectConfigSchema } from './reconnect-config.js';

/**
 * Route configuration of the OpenAI Realtime agent (`agent.kind = "openai-realtime"`): where to connect, the
 * session settings (merged defaults ← route ← per-call overrides, see `realtimeSessionConfigSchema`), barge-in,
 * greeting, built-in call tools and reconnect policy. Every key is documented in the README.
 */

/** Name of an environment variable holding the API key; the key itself never lives in the routes file. */
const secretEnv = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable holding the API key, e.g. OPENAI_API_KEY');

const wsUrl = z.url({ protocol: /^wss?$/, message: 'expected a ws:// or wss:// URL' });

export const REALTIME_DEFAULT_URL = 'wss://api.openai.com/v1/realtime';
export const REALTIME_DEFAULT_MODEL = 'gpt-realtime';

/** Names of the built-in call tools the model can be given. */
export const REALTIME_BUILTIN_TOOL_NAMES = ['hangup', 'transfer', 'send_dtmf'] as const;
export type RealtimeBuiltinToolName = (typeof REALTIME_BUILTIN_TOOL_NAMES)[number];

const functionName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'function names: letters, digits, _ and -, at most 64 characters');

/**
 * A function the model may call, besides the route's HTTP `tools` (which the model is given automatically);
 * run by the adapter's tool runner (`tool-calls` jobs) by name.
 */
export const realtimeFunctionToolSchema = z
  .object({
    name: functionName,
    description: z.string().max(4000).optional(),
    /** JSON Schema of the arguments. */
    parameters: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** A remote MCP server, passed through to the session as a `{"type": "mcp", …}` tool. */
export const realtimeMcpServerSchema = z.looseObject({
  server_label: z.string().min(1).max(64),
  server_url: z.url().optional(),
  connector_id: z.string().optional(),
});

export const realtimeTurnDetectionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('server_vad'),
      threshold: z.number().min(0).max(1).optional(),
      prefixPaddingMs: z.number().int().min(0).max(5000).optional(),
      silenceDurationMs: z.number().int().min(0).max(10_000).optional(),
      idleTimeoutMs: z.number().int().min(5000).max(30_000).optional(),
      createResponse: z.boolean().optional(),
      interruptResponse: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('semantic_vad'),
      eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
      createResponse: z.boolean().optional(),
      interruptResponse: z.boolean().optional(),
    })
    .strict(),
  /** No turn detection on the server. */
  z.object({ type: z.literal('none') }).strict(),
]);

/**
 * Session settings. Every key is optional: the agent's defaults apply, then the route's `session`, then the
 * call's overrides (customParameter `realtime.session`, a JSON object of these keys); a key set at a later
 * level replaces the earlier value whole.
 */
export const realtimeSessionConfigSchema = z
  .object({
    instructions: z.string().max(100_000).optional(),
    voice: z.union([z.string().min(1).max(64), z.object({ id: z.string().min(1).max(128) }).strict()]).optional(),
    speed: z.number().min(0.25).max(1.5).optional(),
    /** Beta dialect only (`apiVersion: "beta"`); the GA API has no session temperature. */
    temperature: z.number().min(0.6).max(1.2).optional(),
    maxOutputTokens: z.union([z.number().int().min(1).max(4096), z.literal('inf')]).optional(),
    turnDetection: realtimeTurnDetectionSchema.optional(),
    /** Input noise reduction: `near_field` (handsets, default), `far_field` (speakerphones) or `off`. */
    noiseReduction: z.enum(['near_field', 'far_field', 'off']).optional(),
    /** Caller transcription (needed for caller transcripts), or false for none. */
    transcription: z
      .union([
        z
          .object({
            model: z.string().min(1).max(128),
            language: z.string().min(2).max(16).optional(),
            prompt: z.string().max(4000).optional(),
          })
          .strict(),
        z.literal(false),
      ])
      .optional(),
    tools: z.array(realtimeFunctionToolSchema).max(128).optional(),
    toolChoice: z
      .union([
        z.enum(['auto', 'none', 'required']),
        z.object({ type: z.literal('function'), name: functionName }).strict(),
        z.object({ type: z.literal('mcp'), serverLabel: z.string().min(1), name: z.string().optional() }).strict(),
      ])
      .optional(),
    mcpServers: z.array(realtimeMcpServerSchema).max(16).optional(),
  })
  .strict();

/** A place a caller can be transferred to by the `transfer` built-in tool. */
export const realtimeTransferDestinationSchema = z.union([
  z
    .object({
      context: z.string().min(1).max(80),
      extension: z.string().min(1).max(80),
      priority: z.number().int().min(1).optional(),
      description: z.string().max(500).optional(),
    })
    .strict(),
  z.object({ endpoint: z.string().min(1).max(256), description: z.string().max(500).optional() }).strict(),
]);

export const realtimeBuiltinToolsSchema = z
  .object({
    /** `hangup`: ends the call once what the model said before it has been played. */
    hangup: z.boolean().default(false),
    /** `send_dtmf`: sends DTMF digits on the call (needs ARI). */
    sendDtmf: z.boolean().default(false),
    /** `transfer`: a blind transfer to one of these named destinations (the model picks a name; needs ARI). */
    transfer: z
      .object({ destinations: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), realtimeTransferDestinationSchema) })
      .strict()
      .refine((t) => Object.keys(t.destinations).length > 0, 'name at least one destination')
      .optional(),
    /**
     * `warm_transfer`: a warm transfer to one of these named destinations: the model gives a summary, which it
     * speaks to the person when they answer (route `transfer.warm` sets hold, ring timeout, decline key; needs ARI).
     */
    warmTransfer: z
      .object({ destinations: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), realtimeTransferDestinationSchema) })
      .strict()
      .refine((t) => Object.keys(t.destinations).length > 0, 'name at least one destination')
      .optional(),
  })
  .strict();

/** Realtime connections (at start and mid-call): 4 attempts in total, backing off from 250 ms to 4 s. */
export const realtimeReconnectSchema = reconnectConfigSchema({ maxAttempts: 4, initialMs: 250, maxMs: 4000 });

/** The Realtime agent's keys, unrefined: the `openai-sip` agent (openai-sip-route.ts) shares most of them. */
export const realtimeAgentObject = z
  .object({
    kind: z.literal('openai-realtime'),
    /** Base WebSocket URL: OpenAI, Azure OpenAI (`wss://<resource>.openai.azure.com/openai/v1/realtime`), or any compatible server. */
    url: wsUrl.default(REALTIME_DEFAULT_URL),
    /** Added to the URL as `?model=` unless the URL names a model or deployment already. */
    model: z.string().min(1).max(128).default(REALTIME_DEFAULT_MODEL),
    /** Environment variable holding the API key. */
    secretEnv: secretEnv.optional(),
    /** How the key is sent: `bearer` (OpenAI), `api-key` (Azure); default by host. */
    auth: z.enum(['bearer', 'api-key', 'none']).optional(),
    /** `ga` (default) or `beta` (the preview protocol, `OpenAI-Beta: realtime=v1`). */
    apiVersion: z.enum(['ga', 'beta']).default('ga'),
    /** `auto`: μ-law when the Asterisk leg is 8 kHz (no resampling), 24 kHz PCM otherwise. */
    audio: z.enum(['auto', 'pcmu', 'pcma', 'pcm24k']).default('auto'),
    session: realtimeSessionConfigSchema.default({}),
    /** Instructions for an AI-first greeting, spoken when the call is answered. */
    greeting: z.string().min(1).max(4000).optional(),
    /**
     * Caller audio per `input_audio_buffer.append`, ms: 20 to 100 in steps of 20. Bigger chunks mean fewer messages
     * (100 ms: a fifth of the messages of 20 ms) and up to `appendMs - 20` ms more uplink latency; a partial chunk
     * is sent at once when our VAD hears the caller start speaking and when the call ends.
     */
    appendMs: z
      .number()
      .int()
      .refine((v) => v >= 20 && v <= 100 && v % 20 === 0, 'appendMs must be 20, 40, 60, 80 or 100')
      .default(100),
    /** What interrupts the model: the server's VAD, ours, both, or nothing. */
    bargeIn: z.enum(['server', 'local', 'both', 'off']).default('server'),
    builtinTools: realtimeBuiltinToolsSchema.default({ hangup: false, sendDtmf: false }),
    /**
     * What the model says while a tool runs, by tool name ("One moment, I'm checking."): spoken as an out-of-band
     * response when the result is not back `fillerDelayMs` after the model finished asking for the tool.
     */
    fillers: z.record(functionName, z.string().min(1).max(500)).default({}),
    /** Wait before a tool's filler is spoken, once the model has finished asking for the tool. */
    fillerDelayMs: z.number().int().min(0).max(10_000).default(600),
    /** Longest wait for the goodbye to be played before a `hangup` tool call hangs up anyway. */
    hangupDrainTimeoutMs: z.number().int().min(0).max(60_000).default(15_000),
    /** Most conversation items replayed to a new session after a reconnect. */
    replayItems: z.number().int().min(0).max(500).default(50),
    /** How long to wait for `session.updated` after `session.update`. */
    sessionTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
    reconnect: realtimeReconnectSchema,
  })
  .strict();

/** What `checkRealtimeAgent` looks at. */
interface RealtimeAgentChecked {
  readonly apiVersion: 'ga' | 'beta';
  readonly url: string;
  readonly secretEnv?: string | undefined;
  readonly auth?: 'bearer' | 'api-key' | 'none' | undefined;
  readonly session: z.output<typeof realtimeSessionConfigSchema>;
  readonly builtinTools: z.output<typeof realtimeBuiltinToolsSchema>;
}

/** The cross-key checks of a Realtime agent (dialect-only settings, duplicate tool names, a key for OpenAI). */
export function checkRealtimeAgent(a: RealtimeAgentChecked, ctx: z.RefinementCtx): void {
  if (a.apiVersion === 'ga' && a.session.temperature !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['session', 'temperature'],
      message: 'the GA Realtime API has no session temperature; remove it or use apiVersion "beta"',
    });
  }
  if (a.apiVersion === 'beta' && (a.session.mcpServers?.length ?? 0) > 0) {
    ctx.addIssue({ code: 'custom', path: ['session', 'mcpServers'], message: 'MCP servers need apiVersion "ga"' });
  }
  const builtins = new Set<string>([
    ...(a.builtinTools.hangup ? ['hangup'] : []),
    ...(a.builtinTools.sendDtmf ? ['send_dtmf'] : []),
    ...(a.builtinTools.transfer ? ['transfer'] : []),
    ...(a.builtinTools.warmTransfer ? ['warm_transfer'] : []),
  ]);
  const seen = new Set<string>();
  (a.session.tools ?? []).forEach((t, i) => {
    if (seen.has(t.name) || builtins.has(t.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['session', 'tools', i, 'name'],
        message: `duplicate tool name "${t.name}"`,
      });
    }
    seen.add(t.name);
  });
  let host = '';
  try {
    host = new URL(a.url).hostname;
  } catch {
    // the url check reports it
  }
  if (a.secretEnv === undefined && a.auth !== 'none' && (host === 'api.openai.com' || host.endsWith('.azure.com'))) {
    ctx.addIssue({
      code: 'custom',
      path: ['secretEnv'],
      message: `${host} needs an API key: name the environment variable holding it, e.g. "OPENAI_API_KEY"`,
    });
  }
}

export const realtimeAgentSchema = realtimeAgentObject.superRefine(checkRealtimeAgent);

export type RealtimeAgentConfig = z.output<typeof realtimeAgentSchema>;
export type RealtimeSessionConfig = z.output<typeof realtimeSessionConfigSchema>;
export type RealtimeFunctionToolConfig = z.output<typeof realtimeFunctionToolSchema>;
export type RealtimeTransferDestination = z.output<typeof realtimeTransferDestinationSchema>;
