import { z } from 'zod';

/** Version of the native agent protocol this code speaks; sent to the agent in the `incoming` event. */
export const AGENT_PROTOCOL_VERSION = 1 as const;

/** Sample rates an agent may use for binary PCM16 audio. */
export const AGENT_SAMPLE_RATES = [8000, 16000, 24000] as const;
export type AgentSampleRate = (typeof AGENT_SAMPLE_RATES)[number];

/** Milliseconds of audio in one frame the adapter sends to the agent. */
export const AGENT_FRAME_MS = 20 as const;

export const agentSampleRateSchema = z.literal(AGENT_SAMPLE_RATES).meta({ description: 'PCM16 sample rate in Hz' });

/** Identifier of one call; the same value the adapter's REST API and logs use. */
export const callIdSchema = z.string().min(1).max(128).meta({ description: 'Call identifier' });

/** Milliseconds since the Unix epoch. */
export const epochMsSchema = z.number().int().nonnegative().meta({ description: 'Milliseconds since the Unix epoch' });

/** A non-negative duration or offset in milliseconds. */
export const millisecondsSchema = z.number().nonnegative().meta({ description: 'Milliseconds' });

/** Identifier of one agent utterance (streamed audio or an Asterisk-played file). */
export const playIdSchema = z.string().min(1).max(128).meta({ description: 'Utterance identifier' });

/** Name carried by a `mark` command and its acknowledgement. */
export const markNameSchema = z.string().min(1).max(256);

/** One DTMF digit as Asterisk reports it. */
export const dtmfDigitSchema = z.string().regex(/^[0-9A-D*#]$/, 'one of 0-9 A-D * #');

/** Fields every adapter → agent event carries besides `event`. */
export const eventBaseShape = {
  callId: callIdSchema,
  timestamp: epochMsSchema,
  trackId: z.string().min(1).max(128).optional().meta({ description: 'Media track the event concerns' }),
};

/** Turns zod issues into one readable line: `path: message; path: message`. */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Parses JSON text into an object record, or says why it is not one. Never throws. */
export function parseJsonObject(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: 'expected a JSON object' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
