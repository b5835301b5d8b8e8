import { z } from 'zod';
import { describeZodIssues, parseJsonObject } from '../agent/common.js';

/**
 * Client → server events of the Realtime API a telephony relay sends, typed as one union (the relay builds them)
 * and as schemas (a server, such as the simulator, parses them). Names are the same in the GA and beta dialects;
 * only the `session.update` body differs (see session-wire.ts).
 */

const textContentSchema = z.object({ type: z.enum(['input_text', 'output_text', 'text']), text: z.string() }).strict();
const audioContentSchema = z
  .object({ type: z.literal('input_audio'), audio: z.string(), transcript: z.string().optional() })
  .strict();

/** An item the client adds to the conversation. */
export const clientItemSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('message'),
      id: z.string().optional(),
      role: z.enum(['user', 'assistant', 'system']),
      content: z.array(z.union([textContentSchema, audioContentSchema])).min(1),
    })
    .strict(),
  z
    .object({
      type: z.literal('function_call'),
      id: z.string().optional(),
      call_id: z.string().min(1),
      name: z.string().min(1),
      arguments: z.string(),
    })
    .strict(),
  z
    .object({
      type: z.literal('function_call_output'),
      id: z.string().optional(),
      call_id: z.string().min(1),
      output: z.string(),
    })
    .strict(),
]);
export type RealtimeClientItem = z.output<typeof clientItemSchema>;

/** Options of one response (`response.create`). */
export const responseParamsSchema = z.looseObject({
  instructions: z.string().optional(),
  /** `none`: an out-of-band response, not added to the conversation. */
  conversation: z.string().optional(),
  output_modalities: z.array(z.enum(['audio', 'text'])).optional(),
  modalities: z.array(z.enum(['audio', 'text'])).optional(),
  tool_choice: z.unknown().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type RealtimeResponseParams = z.output<typeof responseParamsSchema>;

const withId = { event_id: z.string().max(128).optional() };

export const realtimeClientEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session.update'), ...withId, session: z.record(z.string(), z.unknown()) }).strict(),
  z.object({ type: z.literal('input_audio_buffer.append'), ...withId, audio: z.string() }).strict(),
  z.object({ type: z.literal('input_audio_buffer.commit'), ...withId }).strict(),
  z.object({ type: z.literal('input_audio_buffer.clear'), ...withId }).strict(),
  z
    .object({
      type: z.literal('conversation.item.create'),
      ...withId,
      previous_item_id: z.string().nullish(),
      item: clientItemSchema,
    })
    .strict(),
  z
    .object({
      type: z.literal('conversation.item.truncate'),
      ...withId,
      item_id: z.string().min(1),
      content_index: z.number().int().min(0),
      audio_end_ms: z.number().int().min(0),
    })
    .strict(),
  z.object({ type: z.literal('conversation.item.delete'), ...withId, item_id: z.string().min(1) }).strict(),
  z.object({ type: z.literal('response.create'), ...withId, response: responseParamsSchema.optional() }).strict(),
  z.object({ type: z.literal('response.cancel'), ...withId, response_id: z.string().optional() }).strict(),
]);
export type RealtimeClientEvent = z.output<typeof realtimeClientEventSchema>;
export type RealtimeClientEventType = RealtimeClientEvent['type'];

export type ClientParseResult =
  | { readonly ok: true; readonly event: RealtimeClientEvent }
  | {
      readonly ok: false;
      readonly code: 'malformed_json' | 'unknown_event' | 'invalid_event';
      readonly message: string;
      readonly type?: string;
      readonly eventId?: string;
    };

const CLIENT_TYPES: ReadonlySet<string> = new Set(realtimeClientEventSchema.options.map((o) => o.shape.type.value));

/** Parses one text frame a client sent (server side). Never throws. */
export function parseRealtimeClientEvent(text: string): ClientParseResult {
  const json = parseJsonObject(text);
  if (!json.ok) return { ok: false, code: 'malformed_json', message: json.message };
  const type = json.value['type'];
  const eventId = typeof json.value['event_id'] === 'string' ? (json.value['event_id'] as string) : undefined;
  if (typeof type !== 'string' || !CLIENT_TYPES.has(type)) {
    const shown = typeof type === 'string' ? type.slice(0, 64) : undefined;
    return {
      ok: false,
      code: 'unknown_event',
      message: shown === undefined ? 'missing string field "type"' : `Invalid value: '${shown}'`,
      ...(shown !== undefined ? { type: shown } : {}),
      ...(eventId !== undefined ? { eventId } : {}),
    };
  }
  const parsed = realtimeClientEventSchema.safeParse(json.value);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'invalid_event',
      message: `${type}: ${describeZodIssues(parsed.error)}`,
      type,
      ...(eventId !== undefined ? { eventId } : {}),
    };
  }
  return { ok: true, event: parsed.data };
}

/** `input_audio_buffer.append` as a JSON text, built without a generic serializer (it is the hot path). */
export function appendEventText(base64Audio: string): string {
  return `{"type":"input_audio_buffer.append","audio":"${base64Audio}"}`;
}

/** Text items that tell a new session what was said before a reconnect. */
export function userTextItem(text: string): RealtimeClientItem {
  return { type: 'message', role: 'user', content: [{ type: 'input_text', text }] };
}

export function assistantTextItem(text: string, dialect: 'ga' | 'beta'): RealtimeClientItem {
  return { type: 'message', role: 'assistant', content: [{ type: dialect === 'ga' ? 'output_text' : 'text', text }] };
}

export function systemTextItem(text: string): RealtimeClientItem {
  return { type: 'message', role: 'system', content: [{ type: 'input_text', text }] };
}
