import { z } from 'zod';
import { betaFormatName, looseAudioFormatSchema, type RealtimeAudioFormat } from './audio-formats.js';

/**
 * A Realtime session's settings, independent of the API dialect, and their encodings as the GA `session.update`
 * body (`{type: 'realtime', audio: {input, output}, …}`) and the beta one (`input_audio_format`, `voice`, … at the
 * top level). Also the GA session schema a server validates `session.update` against, and the decoding of a
 * server's `session.created`/`session.updated` echo in either dialect.
 */

export const TURN_DETECTION_EAGERNESS = ['low', 'medium', 'high', 'auto'] as const;
export const NOISE_REDUCTION_TYPES = ['near_field', 'far_field'] as const;
export type NoiseReductionType = (typeof NOISE_REDUCTION_TYPES)[number];

export type TurnDetectionSettings =
  | {
      readonly type: 'server_vad';
      readonly threshold?: number;
      readonly prefixPaddingMs?: number;
      readonly silenceDurationMs?: number;
      readonly idleTimeoutMs?: number;
      readonly createResponse?: boolean;
      readonly interruptResponse?: boolean;
    }
  | {
      readonly type: 'semantic_vad';
      readonly eagerness?: (typeof TURN_DETECTION_EAGERNESS)[number];
      readonly createResponse?: boolean;
      readonly interruptResponse?: boolean;
    };

export interface TranscriptionSettings {
  readonly model: string;
  readonly language?: string;
  readonly prompt?: string;
}

/** A function the model may call; `parameters` is a JSON Schema. */
export interface FunctionToolDefinition {
  readonly type: 'function';
  readonly name: string;
  readonly description?: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** A remote MCP server the model may use, passed through as configured (`server_label`, `server_url`, …). */
export type McpToolDefinition = Readonly<Record<string, unknown>> & {
  readonly type: 'mcp';
  readonly server_label: string;
};

export type RealtimeToolDefinition = FunctionToolDefinition | McpToolDefinition;

export type ToolChoiceSetting =
  | 'auto'
  | 'none'
  | 'required'
  | { readonly type: 'function'; readonly name: string }
  | { readonly type: 'mcp'; readonly server_label: string; readonly name?: string };

export interface RealtimeSessionSettings {
  readonly instructions?: string;
  readonly voice?: string | { readonly id: string };
  readonly speed?: number;
  /** Beta dialect only; the GA API has no session temperature. */
  readonly temperature?: number;
  readonly maxOutputTokens?: number | 'inf';
  readonly inputFormat: RealtimeAudioFormat;
  readonly outputFormat: RealtimeAudioFormat;
  /** null: no turn detection (the client commits and asks for responses itself). */
  readonly turnDetection: TurnDetectionSettings | null;
  readonly noiseReduction: NoiseReductionType | null;
  readonly transcription: TranscriptionSettings | null;
  readonly tools: readonly RealtimeToolDefinition[];
  readonly toolChoice?: ToolChoiceSetting;
}

export type RealtimeApiDialect = 'ga' | 'beta';

/** A session body ready to send, and the settings the dialect cannot express (left out). */
export interface EncodedSession {
  readonly session: Record<string, unknown>;
  readonly unsupported: readonly string[];
}

function turnDetectionWire(t: TurnDetectionSettings | null): Record<string, unknown> | null {
  if (t === null) return null;
  const common = {
    ...(t.createResponse !== undefined ? { create_response: t.createResponse } : {}),
    ...(t.interruptResponse !== undefined ? { interrupt_response: t.interruptResponse } : {}),
  };
  if (t.type === 'semantic_vad') {
    return { type: 'semantic_vad', ...(t.eagerness !== undefined ? { eagerness: t.eagerness } : {}), ...common };
  }
  return {
    type: 'server_vad',
    ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
    ...(t.prefixPaddingMs !== undefined ? { prefix_padding_ms: t.prefixPaddingMs } : {}),
    ...(t.silenceDurationMs !== undefined ? { silence_duration_ms: t.silenceDurationMs } : {}),
    ...(t.idleTimeoutMs !== undefined ? { idle_timeout_ms: t.idleTimeoutMs } : {}),
    ...common,
  };
}

function transcriptionWire(t: TranscriptionSettings | null): Record<string, unknown> | null {
  if (t === null) return null;
  return {
    model: t.model,
    ...(t.language !== undefined ? { language: t.language } : {}),
    ...(t.prompt !== undefined ? { prompt: t.prompt } : {}),
  };
}

/** The GA `session.update` body. */
export function encodeGaSession(s: RealtimeSessionSettings): EncodedSession {
  const unsupported: string[] = [];
  if (s.temperature !== undefined) unsupported.push('temperature');
  const output: Record<string, unknown> = { format: s.outputFormat };
  if (s.voice !== undefined) output.voice = s.voice;
  if (s.speed !== undefined) output.speed = s.speed;
  const session: Record<string, unknown> = {
    type: 'realtime',
    output_modalities: ['audio'],
    audio: {
      input: {
        format: s.inputFormat,
        turn_detection: turnDetectionWire(s.turnDetection),
        noise_reduction: s.noiseReduction === null ? null : { type: s.noiseReduction },
        transcription: transcriptionWire(s.transcription),
      },
      output,
    },
    tools: s.tools,
    ...(s.instructions !== undefined ? { instructions: s.instructions } : {}),
    ...(s.toolChoice !== undefined ? { tool_choice: s.toolChoice } : {}),
    ...(s.maxOutputTokens !== undefined ? { max_output_tokens: s.maxOutputTokens } : {}),
  };
  return { session, unsupported };
}

/** The beta (preview) `session.update` body. MCP servers and a custom voice object have no beta form. */
export function encodeBetaSession(s: RealtimeSessionSettings): EncodedSession {
  const unsupported: string[] = [];
  const tools = s.tools.filter((t) => {
    if (t.type === 'function') return true;
    unsupported.push(`tools[mcp:${String(t.server_label)}]`);
    return false;
  });
  let voice: string | undefined;
  if (typeof s.voice === 'string') voice = s.voice;
  else if (s.voice !== undefined) unsupported.push('voice.id');
  let toolChoice: unknown = s.toolChoice;
  if (typeof s.toolChoice === 'object' && s.toolChoice.type === 'mcp') {
    unsupported.push('toolChoice.mcp');
    toolChoice = undefined;
  }
  const session: Record<string, unknown> = {
    modalities: ['audio', 'text'],
    input_audio_format: betaFormatName(s.inputFormat),
    output_audio_format: betaFormatName(s.outputFormat),
    turn_detection: turnDetectionWire(s.turnDetection),
    input_audio_noise_reduction: s.noiseReduction === null ? null : { type: s.noiseReduction },
    input_audio_transcription: transcriptionWire(s.transcription),
    tools,
    ...(s.instructions !== undefined ? { instructions: s.instructions } : {}),
    ...(voice !== undefined ? { voice } : {}),
    ...(s.speed !== undefined ? { speed: s.speed } : {}),
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(toolChoice !== undefined ? { tool_choice: toolChoice } : {}),
    ...(s.maxOutputTokens !== undefined ? { max_response_output_tokens: s.maxOutputTokens } : {}),
  };
  return { session, unsupported };
}

export function encodeSession(dialect: RealtimeApiDialect, s: RealtimeSessionSettings): EncodedSession {
  return dialect === 'ga' ? encodeGaSession(s) : encodeBetaSession(s);
}

/** What a server's session echo says about the settings that matter to the relay. */
export interface SessionEcho {
  readonly inputFormat?: RealtimeAudioFormat;
  readonly outputFormat?: RealtimeAudioFormat;
  readonly turnDetection?: 'server_vad' | 'semantic_vad' | 'none' | string;
  readonly transcription?: boolean;
  readonly toolNames?: readonly string[];
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function formatOf(v: unknown): RealtimeAudioFormat | undefined {
  const parsed = looseAudioFormatSchema.safeParse(v);
  return parsed.success ? parsed.data : undefined;
}

function turnOf(v: unknown): string | undefined {
  if (v === null) return 'none';
  const t = rec(v)?.type;
  return typeof t === 'string' ? t : undefined;
}

/** Reads a `session.created`/`session.updated` session in either dialect; absent fields stay undefined. */
export function decodeSessionEcho(session: Record<string, unknown>): SessionEcho {
  const audio = rec(session.audio);
  const input = rec(audio?.input);
  const output = rec(audio?.output);
  const inputFormat = formatOf(input?.format ?? session.input_audio_format);
  const outputFormat = formatOf(output?.format ?? session.output_audio_format);
  const turnRaw = input && 'turn_detection' in input ? input.turn_detection : session.turn_detection;
  const turnDetection = turnRaw === undefined ? undefined : turnOf(turnRaw);
  const transcriptionRaw = input && 'transcription' in input ? input.transcription : session.input_audio_transcription;
  const tools = Array.isArray(session.tools)
    ? session.tools.flatMap((t) => {
        const name = rec(t)?.name;
        return typeof name === 'string' ? [name] : [];
      })
    : undefined;
  return {
    ...(inputFormat ? { inputFormat } : {}),
    ...(outputFormat ? { outputFormat } : {}),
    ...(turnDetection !== undefined ? { turnDetection } : {}),
    ...(transcriptionRaw !== undefined ? { transcription: transcriptionRaw !== null } : {}),
    ...(tools ? { toolNames: tools } : {}),
  };
}

const turnDetectionWireSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('server_vad'),
      threshold: z.number().min(0).max(1).optional(),
      prefix_padding_ms: z.number().int().min(0).optional(),
      silence_duration_ms: z.number().int().min(0).optional(),
      idle_timeout_ms: z.number().int().min(0).nullish(),
      create_response: z.boolean().optional(),
      interrupt_response: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('semantic_vad'),
      eagerness: z.enum(TURN_DETECTION_EAGERNESS).optional(),
      create_response: z.boolean().optional(),
      interrupt_response: z.boolean().optional(),
    })
    .strict(),
]);

const functionToolWireSchema = z
  .object({
    type: z.literal('function'),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'function names: letters, digits, _ and -, at most 64'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const mcpToolWireSchema = z.looseObject({ type: z.literal('mcp'), server_label: z.string().min(1) });

/**
 * The GA session a server accepts in `session.update`. Unknown fields are refused, as the service refuses them
 * (`Unknown parameter: 'session.temperature'`).
 */
export const gaSessionWireSchema = z
  .object({
    type: z.literal('realtime'),
    model: z.string().optional(),
    instructions: z.string().optional(),
    output_modalities: z.array(z.enum(['audio', 'text'])).optional(),
    audio: z
      .object({
        input: z
          .object({
            format: looseAudioFormatSchema.optional(),
            turn_detection: turnDetectionWireSchema.nullable().optional(),
            noise_reduction: z
              .object({ type: z.enum(NOISE_REDUCTION_TYPES) })
              .strict()
              .nullable()
              .optional(),
            transcription: z
              .object({ model: z.string().min(1), language: z.string().optional(), prompt: z.string().optional() })
              .strict()
              .nullable()
              .optional(),
          })
          .strict()
          .optional(),
        output: z
          .object({
            format: looseAudioFormatSchema.optional(),
            voice: z.union([z.string().min(1), z.object({ id: z.string().min(1) }).strict()]).optional(),
            speed: z.number().min(0.25).max(1.5).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    tools: z.array(z.union([functionToolWireSchema, mcpToolWireSchema])).optional(),
    tool_choice: z
      .union([
        z.enum(['auto', 'none', 'required']),
        z.object({ type: z.literal('function'), name: z.string() }).strict(),
        z.looseObject({ type: z.literal('mcp'), server_label: z.string() }),
      ])
      .optional(),
    max_output_tokens: z.union([z.number().int().min(1).max(4096), z.literal('inf')]).optional(),
    include: z.array(z.string()).optional(),
    tracing: z.unknown().optional(),
    truncation: z.unknown().optional(),
    prompt: z.unknown().optional(),
    parallel_tool_calls: z.boolean().optional(),
    reasoning: z.unknown().optional(),
  })
  .strict();
export type GaSessionWire = z.output<typeof gaSessionWireSchema>;
