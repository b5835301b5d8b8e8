import { z } from 'zod';

/**
 * Twilio Media Streams messages (bidirectional `<Connect><Stream>`), as typed JSON text frames.
 * "Stream messages" go from the media side (Twilio, or this adapter speaking the dialect) to the agent;
 * "agent messages" come back from the agent. Parsing ignores unknown extra fields and rejects malformed ones.
 */

const streamSidSchema = z.string().regex(/^MZ[0-9a-fA-F]{32}$/, 'MZ followed by 32 hex digits');
const callSidSchema = z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'CA followed by 32 hex digits');
const accountSidSchema = z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'AC followed by 32 hex digits');
/** Twilio sends counters and timestamps as decimal strings. */
const decimalStringSchema = z.string().regex(/^\d{1,15}$/, 'a decimal number as a string');
/** Base64 (standard alphabet, optional padding). */
const base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const trackSchema = z.enum(['inbound', 'outbound']);

export const TWILIO_MEDIA_ENCODING = 'audio/x-mulaw';
export const TWILIO_SAMPLE_RATE = 8000;
/** μ-law bytes in one 20 ms chunk. */
export const TWILIO_CHUNK_BYTES = 160;

export const twilioConnectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

export const twilioMediaFormatSchema = z.object({
  encoding: z.literal(TWILIO_MEDIA_ENCODING),
  sampleRate: z.literal(TWILIO_SAMPLE_RATE),
  channels: z.literal(1),
});

export const twilioStartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: decimalStringSchema,
  streamSid: streamSidSchema,
  start: z.object({
    accountSid: accountSidSchema,
    streamSid: streamSidSchema,
    callSid: callSidSchema,
    tracks: z.array(trackSchema).min(1),
    mediaFormat: twilioMediaFormatSchema,
    customParameters: z.record(z.string(), z.string()),
  }),
});

export const twilioInboundMediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: decimalStringSchema,
  streamSid: streamSidSchema,
  media: z.object({
    track: trackSchema,
    chunk: decimalStringSchema,
    timestamp: decimalStringSchema,
    payload: base64Schema,
  }),
});

export const twilioDtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: decimalStringSchema,
  streamSid: streamSidSchema,
  dtmf: z.object({
    track: z.string(),
    digit: z.string().regex(/^[0-9A-D*#]$/, 'one of 0-9 A-D * #'),
  }),
});

export const twilioMarkNameSchema = z.string().min(1).max(256);

export const twilioStreamMarkSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: decimalStringSchema,
  streamSid: streamSidSchema,
  mark: z.object({ name: twilioMarkNameSchema }),
});

export const twilioStopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: decimalStringSchema,
  streamSid: streamSidSchema,
  stop: z.object({ accountSid: accountSidSchema, callSid: callSidSchema }),
});

/** Media side → agent. */
export const twilioStreamMessageSchema = z.discriminatedUnion('event', [
  twilioConnectedSchema,
  twilioStartSchema,
  twilioInboundMediaSchema,
  twilioDtmfSchema,
  twilioStreamMarkSchema,
  twilioStopSchema,
]);

export const twilioOutboundMediaSchema = z.object({
  event: z.literal('media'),
  streamSid: streamSidSchema,
  media: z.object({ payload: base64Schema }),
});

export const twilioAgentMarkSchema = z.object({
  event: z.literal('mark'),
  streamSid: streamSidSchema,
  mark: z.object({ name: twilioMarkNameSchema }),
});

export const twilioClearSchema = z.object({
  event: z.literal('clear'),
  streamSid: streamSidSchema,
});

/** Agent → media side. */
export const twilioAgentMessageSchema = z.discriminatedUnion('event', [
  twilioOutboundMediaSchema,
  twilioAgentMarkSchema,
  twilioClearSchema,
]);

export type TwilioConnectedMessage = z.output<typeof twilioConnectedSchema>;
export type TwilioMediaFormat = z.output<typeof twilioMediaFormatSchema>;
export type TwilioStartMessage = z.output<typeof twilioStartSchema>;
export type TwilioInboundMediaMessage = z.output<typeof twilioInboundMediaSchema>;
export type TwilioDtmfMessage = z.output<typeof twilioDtmfSchema>;
export type TwilioStreamMarkMessage = z.output<typeof twilioStreamMarkSchema>;
export type TwilioStopMessage = z.output<typeof twilioStopSchema>;
/** A message the media side (this adapter) sends to a Twilio-dialect agent. */
export type TwilioStreamMessage = z.output<typeof twilioStreamMessageSchema>;

export type TwilioOutboundMediaMessage = z.output<typeof twilioOutboundMediaSchema>;
export type TwilioAgentMarkMessage = z.output<typeof twilioAgentMarkSchema>;
export type TwilioClearMessage = z.output<typeof twilioClearSchema>;
/** A message a Twilio-dialect agent sends. */
export type TwilioAgentMessage = z.output<typeof twilioAgentMessageSchema>;

export const TWILIO_STREAM_EVENTS = [
  'connected',
  'start',
  'media',
  'dtmf',
  'mark',
  'stop',
] as const satisfies readonly TwilioStreamMessage['event'][];
export const TWILIO_AGENT_EVENTS = ['media', 'mark', 'clear'] as const satisfies readonly TwilioAgentMessage['event'][];
