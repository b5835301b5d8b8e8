/**
 * Parsing of ARI events-WebSocket messages: text or an already decoded value in, a typed `AriEvent` or a
 * described failure out. Never throws.
 */
import { type AriEvent, type AriUnknownEvent, KNOWN_ARI_EVENT_TYPES, KnownAriEventSchema } from './events.js';

/** Why a message could not be turned into an event. */
export type AriEventParseFailure =
  | { readonly reason: 'invalid_json'; readonly detail: string }
  | { readonly reason: 'not_an_event'; readonly detail: string }
  | { readonly reason: 'schema_mismatch'; readonly eventType: string; readonly detail: string };

export type AriEventParseResult =
  | { readonly ok: true; readonly event: AriEvent }
  | { readonly ok: false; readonly failure: AriEventParseFailure };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses one decoded message. An object whose `type` is known must match that event's schema; an object with an
 * unknown string `type` becomes an `AriUnknownEvent`; anything else is a failure.
 */
export function parseAriEvent(value: unknown): AriEventParseResult {
  if (!isRecord(value)) return { ok: false, failure: { reason: 'not_an_event', detail: 'message is not an object' } };
  const type = value['type'];
  if (typeof type !== 'string' || type.length === 0) {
    return { ok: false, failure: { reason: 'not_an_event', detail: 'message has no string "type"' } };
  }
  if (!KNOWN_ARI_EVENT_TYPES.has(type)) {
    const unknown: AriUnknownEvent = {
      type: 'UnknownEvent',
      originalType: type,
      application: typeof value['application'] === 'string' ? value['application'] : undefined,
      timestamp: typeof value['timestamp'] === 'string' ? value['timestamp'] : undefined,
      raw: value,
    };
    return { ok: true, event: unknown };
  }
  const parsed = KnownAriEventSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  const detail = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, failure: { reason: 'schema_mismatch', eventType: type, detail } };
}

/** Parses one WebSocket text message (JSON). */
export function parseAriEventText(text: string): AriEventParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, failure: { reason: 'invalid_json', detail: (err as Error).message } };
  }
  return parseAriEvent(value);
}
