/**
 * Events chan_websocket sends on the media WebSocket (TEXT frames), JSON or plain text, parsed into one
 * discriminated union. Binary frames are raw codec bytes and never pass through here.
 */
import { z } from 'zod';
import { parsePlainText } from './plain-text.js';

const channelId = z.string().optional();
const num = z.coerce.number().int().nonnegative();
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

export const MediaStartSchema = z.object({
  event: z.literal('MEDIA_START'),
  connection_id: z.string(),
  channel: z.string(),
  channel_id: z.string().optional(),
  format: z.string().min(1),
  optimal_frame_size: num,
  ptime: num.default(20),
  channel_variables: z.record(z.string(), z.string()).default({}),
});

export const ChanWebSocketEventSchema = z.discriminatedUnion('event', [
  MediaStartSchema,
  z.object({ event: z.literal('DTMF_END'), channel_id: channelId, digit: z.string().length(1) }),
  z.object({ event: z.literal('MEDIA_XOFF'), channel_id: channelId }),
  z.object({ event: z.literal('MEDIA_XON'), channel_id: channelId }),
  z.object({
    event: z.literal('MEDIA_BUFFERING_COMPLETED'),
    channel_id: channelId,
    correlation_id: z.string().optional(),
  }),
  z.object({ event: z.literal('MEDIA_MARK_PROCESSED'), channel_id: channelId, correlation_id: z.string() }),
  z.object({ event: z.literal('QUEUE_DRAINED'), channel_id: channelId }),
  z.object({
    event: z.literal('STATUS'),
    channel_id: channelId,
    queue_length: num,
    xon_level: num,
    xoff_level: num,
    queue_full: bool,
    bulk_media: bool,
    media_paused: bool,
  }),
  z.object({ event: z.literal('ERROR'), channel_id: channelId, error_text: z.string() }),
]);

export type MediaStart = z.output<typeof MediaStartSchema>;
export type ChanWebSocketEvent = z.output<typeof ChanWebSocketEventSchema>;
export type ChanWebSocketEventName = ChanWebSocketEvent['event'];

/** Event names whose plain-text form carries one bare value, and the field it fills. */
const PLAIN_POSITIONAL: Readonly<Record<string, string>> = {
  MEDIA_MARK_PROCESSED: 'correlation_id',
  MEDIA_BUFFERING_COMPLETED: 'correlation_id',
  DTMF_END: 'digit',
  ERROR: 'error_text',
};

/** The result of parsing one TEXT frame: an event, or why it is not one. */
export type ParsedEvent = { ok: true; event: ChanWebSocketEvent } | { ok: false; reason: string };

/**
 * Parses one TEXT frame from Asterisk. A frame starting with `{` is JSON (`{"event":…}`); anything else is the
 * plain-text form (`MEDIA_START connection_id:… format:ulaw optimal_frame_size:160 ptime:20`).
 */
export function parseChanWebSocketEvent(text: string): ParsedEvent {
  let raw: unknown;
  if (text.trimStart().startsWith('{')) {
    try {
      raw = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'invalid JSON' };
    }
  } else {
    const plain = parsePlainText(text, PLAIN_POSITIONAL);
    if (!plain) return { ok: false, reason: 'empty message' };
    raw = { event: plain.name, ...plain.fields };
  }
  const result = ChanWebSocketEventSchema.safeParse(raw);
  if (!result.success) {
    const name = (raw as { event?: unknown } | null)?.event;
    return { ok: false, reason: `unknown or malformed event ${typeof name === 'string' ? name : '(none)'}` };
  }
  return { ok: true, event: result.data };
}

/** Encodes an event the way Asterisk does (the simulated Asterisk's side). */
export function encodeChanWebSocketEvent(event: ChanWebSocketEvent, format: 'json' | 'plain-text'): string {
  if (format === 'json') return JSON.stringify(event);
  const parts: string[] = [event.event];
  for (const [key, value] of Object.entries(event)) {
    if (key === 'event' || key === 'channel_variables' || value === undefined) continue;
    parts.push(`${key}:${String(value)}`);
  }
  return parts.join(' ');
}
