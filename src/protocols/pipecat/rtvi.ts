/**
 * RTVI messages (Pipecat's client/server protocol, label `rtvi-ai`) as they travel in `message` frames. The adapter
 * takes the client's side: it announces itself with `client-ready`, forwards keypad digits as `dtmf`, control-plane
 * text as `send-text`, and its own notices (barge-in with the milliseconds heard, DTMF it cannot express) as
 * `client-message`. From the bot it reads transcripts and errors; other messages are recorded, not acted on.
 */

export const RTVI_LABEL = 'rtvi-ai';
/** The RTVI protocol version the adapter speaks (`dtmf` with `buttons` needs 2.1). */
export const RTVI_PROTOCOL_VERSION = '2.1.0';
/** Keys RTVI `dtmf` carries; other digits (A–D) go as a `client-message` of type `dtmf`. */
const RTVI_KEYPAD = new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#']);

export interface RtviClientMessage {
  readonly label: typeof RTVI_LABEL;
  readonly type: 'client-ready' | 'dtmf' | 'client-message' | 'send-text' | 'disconnect-bot';
  readonly id: string;
  readonly data?: Record<string, unknown>;
}

export function rtviClientReady(id: string, about: Record<string, unknown>): RtviClientMessage {
  return { label: RTVI_LABEL, type: 'client-ready', id, data: { version: RTVI_PROTOCOL_VERSION, about } };
}

/** A keypad digit: RTVI `dtmf` for 0–9, * and #; a `client-message {t: "dtmf"}` for anything else. */
export function rtviDtmf(id: string, digit: string): RtviClientMessage {
  if (RTVI_KEYPAD.has(digit)) return { label: RTVI_LABEL, type: 'dtmf', id, data: { buttons: [digit] } };
  return rtviClientMessage(id, 'dtmf', { digit });
}

/** A custom client message: the bot's RTVI processor hands `t` and `d` to its `on_client_message` handlers. */
export function rtviClientMessage(id: string, t: string, d: Record<string, unknown>): RtviClientMessage {
  return { label: RTVI_LABEL, type: 'client-message', id, data: { t, d } };
}

/** Text for the bot's LLM; `runImmediately` interrupts what the bot is doing and answers at once. */
export function rtviSendText(id: string, content: string, runImmediately: boolean): RtviClientMessage {
  return {
    label: RTVI_LABEL,
    type: 'send-text',
    id,
    data: { content, options: { run_immediately: runImmediately, audio_response: true } },
  };
}

export function rtviDisconnectBot(id: string): RtviClientMessage {
  return { label: RTVI_LABEL, type: 'disconnect-bot', id };
}

/** What a bot's message frame means to the adapter. */
export type BotMessage =
  | { readonly kind: 'userTranscript'; readonly text: string; readonly final: boolean }
  | { readonly kind: 'botText'; readonly text: string; readonly source: 'bot-output' | 'bot-transcription' }
  | { readonly kind: 'error'; readonly message: string; readonly fatal: boolean }
  /** Any other RTVI message (`bot-ready`, `bot-started-speaking`, `server-message`, …). */
  | { readonly kind: 'rtvi'; readonly type: string; readonly data: unknown }
  /** Valid JSON that is not an RTVI message (a bot's own transport message). */
  | { readonly kind: 'other'; readonly value: unknown };

export type BotMessageResult =
  | { readonly ok: true; readonly message: BotMessage }
  | { readonly ok: false; readonly message: string };

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Reads a bot's message frame `data`. Never throws. */
export function parseBotMessage(data: string): BotMessageResult {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, message: `message frame data is not JSON (${data.length} characters)` };
  }
  const msg = record(value);
  if (!msg || msg['label'] !== RTVI_LABEL || typeof msg['type'] !== 'string') {
    return { ok: true, message: { kind: 'other', value } };
  }
  const type = msg['type'];
  const d = record(msg['data']);
  const text = typeof d?.['text'] === 'string' ? d['text'] : undefined;
  switch (type) {
    case 'user-transcription':
      if (text !== undefined)
        return { ok: true, message: { kind: 'userTranscript', text, final: d?.['final'] === true } };
      break;
    case 'bot-output': {
      // RTVI 2 reports a segment as new, in progress and completed: its text counts once, when new.
      const status = d?.['spoken_status'];
      if (text !== undefined && (status === undefined || status === null || status === 'new'))
        return { ok: true, message: { kind: 'botText', text, source: 'bot-output' } };
      break;
    }
    case 'bot-transcription':
      if (text !== undefined) return { ok: true, message: { kind: 'botText', text, source: 'bot-transcription' } };
      break;
    case 'error':
    case 'error-response': {
      const error = typeof d?.['error'] === 'string' ? d['error'] : JSON.stringify(msg['data'] ?? null);
      return { ok: true, message: { kind: 'error', message: error, fatal: d?.['fatal'] === true } };
    }
  }
  return { ok: true, message: { kind: 'rtvi', type, data: msg['data'] } };
}
