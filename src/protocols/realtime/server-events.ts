import { z } from 'zod';
import { describeZodIssues, parseJsonObject } from '../agent/common.js';

/**
 * Server → client events of the OpenAI Realtime API that a telephony relay acts on, under their GA names. Beta
 * names (`response.audio.delta`, `response.audio_transcript.done`, `conversation.item.created`, …) are renamed
 * to their GA equivalents before parsing (see `SERVER_EVENT_ALIASES`). Every other well-formed event parses as
 * `{ type: 'other', name }`: the API adds events over time and a relay must not choke on them.
 * Objects are open: fields a server adds pass through untouched.
 */

const id = z.string().min(1).max(256);
const ms = z.number().nonnegative();

/** An item as the server describes it (message, function_call, function_call_output, mcp_*, …). */
export const serverItemSchema = z.looseObject({
  id: id.optional(),
  type: z.string(),
  role: z.string().optional(),
  status: z.string().optional(),
  call_id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.string().optional(),
  content: z.array(z.looseObject({ type: z.string().optional() })).optional(),
});
export type RealtimeServerItem = z.output<typeof serverItemSchema>;

export const realtimeErrorBodySchema = z.looseObject({
  type: z.string().default('unknown_error'),
  code: z.string().nullish(),
  message: z.string().default(''),
  param: z.string().nullish(),
  event_id: z.string().nullish(),
});
export type RealtimeErrorBody = z.output<typeof realtimeErrorBodySchema>;

const responseSchema = z.looseObject({
  id: id,
  status: z.string().optional(),
  status_details: z
    .looseObject({
      type: z.string().optional(),
      reason: z.string().nullish(),
      error: z.looseObject({ type: z.string().optional(), code: z.string().nullish() }).nullish(),
    })
    .nullish(),
  output: z.array(serverItemSchema).optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

const rateLimitSchema = z.looseObject({
  name: z.string().optional(),
  limit: z.number().optional(),
  remaining: z.number().optional(),
  reset_seconds: z.number().optional(),
});

const event = <T extends string, S extends z.core.$ZodLooseShape>(type: T, shape: S) =>
  z.looseObject({ type: z.literal(type), event_id: z.string().optional(), ...shape });

export const realtimeServerEventSchema = z.discriminatedUnion('type', [
  event('session.created', { session: z.looseObject({}) }),
  event('session.updated', { session: z.looseObject({}) }),
  event('error', { error: realtimeErrorBodySchema }),
  event('input_audio_buffer.speech_started', { audio_start_ms: ms, item_id: id }),
  event('input_audio_buffer.speech_stopped', { audio_end_ms: ms, item_id: id }),
  event('input_audio_buffer.committed', { item_id: id, previous_item_id: z.string().nullish() }),
  event('conversation.item.added', { item: serverItemSchema, previous_item_id: z.string().nullish() }),
  event('conversation.item.done', { item: serverItemSchema }),
  event('conversation.item.truncated', { item_id: id, content_index: z.number().int(), audio_end_ms: ms }),
  event('conversation.item.input_audio_transcription.delta', { item_id: id, delta: z.string() }),
  event('conversation.item.input_audio_transcription.completed', { item_id: id, transcript: z.string() }),
  event('conversation.item.input_audio_transcription.failed', {
    item_id: id,
    error: realtimeErrorBodySchema.optional(),
  }),
  event('response.created', { response: responseSchema }),
  event('response.done', { response: responseSchema }),
  event('response.output_item.added', { response_id: id, item: serverItemSchema }),
  event('response.output_item.done', { response_id: id, item: serverItemSchema }),
  event('response.output_audio.delta', { response_id: id, item_id: id, delta: z.string() }),
  event('response.output_audio.done', { response_id: id, item_id: id }),
  event('response.output_audio_transcript.delta', { response_id: id, item_id: id, delta: z.string() }),
  event('response.output_audio_transcript.done', { response_id: id, item_id: id, transcript: z.string() }),
  event('response.output_text.done', { response_id: id, item_id: id, text: z.string() }),
  event('response.function_call_arguments.done', {
    response_id: id,
    item_id: id,
    call_id: id,
    name: z.string().optional(),
    arguments: z.string(),
  }),
  event('rate_limits.updated', { rate_limits: z.array(rateLimitSchema) }),
]);

/** A known server event, parsed. */
export type RealtimeKnownServerEvent = z.output<typeof realtimeServerEventSchema>;
/** A well-formed event of a type the relay does not act on. */
export interface RealtimeOtherServerEvent {
  readonly type: 'other';
  readonly name: string;
}
export type RealtimeServerEvent = RealtimeKnownServerEvent | RealtimeOtherServerEvent;
export type RealtimeServerEventType = RealtimeKnownServerEvent['type'];
export type ServerEventOf<T extends RealtimeServerEventType> = Extract<RealtimeKnownServerEvent, { type: T }>;

export const REALTIME_SERVER_EVENT_TYPES: readonly RealtimeServerEventType[] = realtimeServerEventSchema.options.map(
  (o) => o.shape.type.value,
);

/** Beta (preview) event names and their GA equivalents. */
export const SERVER_EVENT_ALIASES: Readonly<Record<string, RealtimeServerEventType | string>> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
  'conversation.item.created': 'conversation.item.added',
};

/** The GA name of a server event name (beta names renamed, others unchanged). */
export function gaServerEventName(name: string): string {
  return SERVER_EVENT_ALIASES[name] ?? name;
}

export type RealtimeParseErrorCode = 'malformed_json' | 'missing_type' | 'invalid_event';

export type RealtimeParseResult =
  | { readonly ok: true; readonly event: RealtimeServerEvent }
  | { readonly ok: false; readonly code: RealtimeParseErrorCode; readonly message: string; readonly name?: string };

const KNOWN: ReadonlySet<string> = new Set(REALTIME_SERVER_EVENT_TYPES);

/** Parses one text frame from a Realtime server. Never throws. */
export function parseRealtimeServerEvent(text: string): RealtimeParseResult {
  const json = parseJsonObject(text);
  if (!json.ok) return { ok: false, code: 'malformed_json', message: json.message };
  return parseRealtimeServerEventObject(json.value);
}

/** Parses an already-decoded JSON object as a server event. Never throws. */
export function parseRealtimeServerEventObject(value: Record<string, unknown>): RealtimeParseResult {
  const raw = value['type'];
  if (typeof raw !== 'string') return { ok: false, code: 'missing_type', message: 'missing string field "type"' };
  const name = gaServerEventName(raw);
  if (!KNOWN.has(name)) return { ok: true, event: { type: 'other', name: raw.slice(0, 96) } };
  const parsed = realtimeServerEventSchema.safeParse(name === raw ? value : { ...value, type: name });
  if (!parsed.success) {
    return { ok: false, code: 'invalid_event', message: `${name}: ${describeZodIssues(parsed.error)}`, name };
  }
  return { ok: true, event: parsed.data };
}
