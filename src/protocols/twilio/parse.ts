import type { z } from 'zod';
import { describeZodIssues, parseJsonObject } from '../agent/common.js';
import {
  TWILIO_AGENT_EVENTS,
  TWILIO_STREAM_EVENTS,
  type TwilioAgentMessage,
  twilioAgentMessageSchema,
  type TwilioStreamMessage,
  twilioStreamMessageSchema,
} from './messages.js';

/** Why a Twilio-dialect text frame was refused. */
export type TwilioParseErrorCode = 'malformed_json' | 'unknown_event' | 'invalid_message';

export interface TwilioParseError {
  readonly code: TwilioParseErrorCode;
  readonly message: string;
  /** The `event` field, when the frame had a string one. */
  readonly event?: string;
}

export type TwilioParseResult<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly error: TwilioParseError };

function parseWith<T>(text: string, names: ReadonlySet<string>, schema: z.ZodType<T>): TwilioParseResult<T> {
  const json = parseJsonObject(text);
  if (!json.ok) return { ok: false, error: { code: 'malformed_json', message: json.message } };
  const name = json.value['event'];
  if (typeof name !== 'string') {
    return { ok: false, error: { code: 'unknown_event', message: 'missing string field "event"' } };
  }
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  if (!names.has(name)) {
    return { ok: false, error: { code: 'unknown_event', message: `unknown event "${shown}"`, event: shown } };
  }
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'invalid_message', message: `${name}: ${describeZodIssues(parsed.error)}`, event: name },
    };
  }
  return { ok: true, message: parsed.data };
}

const agentEvents: ReadonlySet<string> = new Set(TWILIO_AGENT_EVENTS);
const streamEvents: ReadonlySet<string> = new Set(TWILIO_STREAM_EVENTS);

/** Parses a text frame a Twilio-dialect agent sent (`media`, `mark`, `clear`). Never throws. */
export function parseTwilioAgentMessage(text: string): TwilioParseResult<TwilioAgentMessage> {
  return parseWith(text, agentEvents, twilioAgentMessageSchema);
}

/** Parses a text frame as an agent receives it from Twilio or this adapter (`connected` … `stop`). Never throws. */
export function parseTwilioStreamMessage(text: string): TwilioParseResult<TwilioStreamMessage> {
  return parseWith(text, streamEvents, twilioStreamMessageSchema);
}
