import { z } from 'zod';
import {
  AGENT_FRAME_MS,
  AGENT_PROTOCOL_VERSION,
  agentSampleRateSchema,
  dtmfDigitSchema,
  epochMsSchema,
  eventBaseShape,
  markNameSchema,
  millisecondsSchema,
  playIdSchema,
} from './common.js';
import { webrtcMediaSchema } from './webrtc-signalling.js';

/**
 * Adapter → agent events of the native protocol v1. Each is one JSON text frame with an `event` name, the `callId`,
 * a `timestamp` (ms since the epoch) and an optional `trackId`. Names follow the active-call gateway protocol.
 */

/** Audio the adapter sends as binary frames and expects back: PCM16 little-endian, mono, 20 ms frames. */
export const agentAudioFormatSchema = z
  .object({
    encoding: z.literal('pcm16'),
    sampleRate: agentSampleRateSchema,
    frameMs: z.literal(AGENT_FRAME_MS),
  })
  .meta({ description: 'Binary audio format: PCM16 little-endian mono' });

/** Where the call is on the Asterisk side. */
export const channelInfoSchema = z
  .object({
    mode: z
      .enum(['stasis', 'audiosocket'])
      .meta({ description: 'How the call reached the adapter: an ARI Stasis application or a dialplan AudioSocket.' }),
    id: z.string().optional().meta({ description: 'ARI channel id (Stasis mode).' }),
    name: z.string().optional().meta({ description: 'Asterisk channel name, e.g. `PJSIP/alice-00000001`.' }),
    context: z.string().optional(),
    extension: z.string().optional(),
    audiosocketUuid: z.string().optional().meta({ description: 'AudioSocket UUID the call arrived with.' }),
  })
  .meta({ description: 'Asterisk channel details' });

export const amdInfoSchema = z
  .object({
    mode: z.enum(['asterisk', 'adapter']).meta({ description: 'Who classified: Asterisk AMD() or the adapter.' }),
    result: z.enum(['human', 'machine', 'notsure']),
    cause: z.string().meta({
      description:
        'Why: HUMAN, LONGGREETING, MAXWORDS, MAXWORDLENGTH, INITIALSILENCE, TOOLONG (Asterisk causes), BEEP, NOAUDIO.',
    }),
    detail: z.string().optional().meta({ description: "Asterisk's AMDCAUSE as it came, e.g. LONGGREETING-1520-1500." }),
    decisionMs: z.number().optional().meta({ description: 'Callee audio (ms from the answer) the adapter needed.' }),
    beep: z
      .boolean()
      .optional()
      .meta({ description: 'Machine with a message to leave: whether its beep was heard (speak now).' }),
    beepEndMs: z.number().optional().meta({ description: 'Callee audio time (ms) at which the beep ended.' }),
  })
  .meta({ description: 'Answering-machine detection result of an outbound call, known before the agent speaks' });

export const incomingEventSchema = z
  .object({
    event: z.literal('incoming'),
    ...eventBaseShape,
    protocolVersion: z.literal(AGENT_PROTOCOL_VERSION),
    caller: z.string().meta({ description: 'Caller number (empty when withheld).' }),
    callerName: z.string().optional(),
    callee: z.string().meta({ description: 'Dialled number or extension.' }),
    route: z.string().min(1).meta({ description: 'Name of the route that selected this agent.' }),
    direction: z.enum(['inbound', 'outbound']),
    channel: channelInfoSchema,
    audio: agentAudioFormatSchema,
    customParameters: z
      .record(z.string(), z.string())
      .meta({ description: 'Route and per-call parameters (Stasis arguments, originate variables).' }),
    media: webrtcMediaSchema
      .optional()
      .meta({ description: 'Present on WebRTC routes: audio flows as RTP, negotiated after accept (see §8).' }),
    amd: amdInfoSchema
      .optional()
      .meta({ description: 'Outbound calls with answering-machine detection: the verdict (see §AMD).' }),
  })
  .meta({ description: 'A call arrived; the agent answers with accept, reject or ringing' });

export const answerEventSchema = z
  .object({ event: z.literal('answer'), ...eventBaseShape })
  .meta({ description: 'The call is answered; audio flows from now on' });

export const ringingEventSchema = z
  .object({ event: z.literal('ringing'), ...eventBaseShape })
  .meta({ description: 'The caller hears ringing' });

export const speakingEventSchema = z
  .object({
    event: z.literal('speaking'),
    ...eventBaseShape,
    atMs: millisecondsSchema.meta({
      description: 'Call media time (ms since answer) at which the caller started speaking.',
    }),
  })
  .meta({ description: 'The caller started speaking' });

export const silenceEventSchema = z
  .object({
    event: z.literal('silence'),
    ...eventBaseShape,
    atMs: millisecondsSchema.meta({
      description: 'Call media time (ms since answer) at which the caller stopped speaking.',
    }),
    durationMs: millisecondsSchema.meta({
      description: 'How long the caller had been silent when the event was sent.',
    }),
  })
  .meta({ description: 'The caller stopped speaking' });

export const dtmfEventSchema = z
  .object({
    event: z.literal('dtmf'),
    ...eventBaseShape,
    digit: dtmfDigitSchema,
    durationMs: millisecondsSchema.optional(),
  })
  .meta({ description: 'The caller pressed a key' });

export const trackStartEventSchema = z
  .object({ event: z.literal('trackStart'), ...eventBaseShape, playId: playIdSchema })
  .meta({ description: 'The first audio of an utterance reached the caller' });

export const trackEndEventSchema = z
  .object({
    event: z.literal('trackEnd'),
    ...eventBaseShape,
    playId: playIdSchema,
    durationMs: millisecondsSchema.meta({
      description: 'Milliseconds of the utterance that were played to the caller.',
    }),
  })
  .meta({ description: 'An utterance finished playing' });

export const interruptionEventSchema = z
  .object({
    event: z.literal('interruption'),
    ...eventBaseShape,
    playId: playIdSchema,
    playedMs: millisecondsSchema.meta({ description: 'Milliseconds of the utterance the caller actually heard.' }),
    totalMs: millisecondsSchema.meta({
      description: 'Milliseconds of the utterance received from the agent (or the file length) before it was cut.',
    }),
    position: millisecondsSchema
      .optional()
      .meta({ description: 'Position in the played media where playback stopped, for `play` (file or URL) playback.' }),
  })
  .meta({ description: 'An utterance was cut short by barge-in or an interrupt command' });

export const markEventSchema = z
  .object({ event: z.literal('mark'), ...eventBaseShape, name: markNameSchema })
  .meta({ description: 'All audio sent before the mark command has been played' });

export const HANGUP_INITIATORS = ['caller', 'agent', 'system'] as const;
export type HangupInitiator = (typeof HANGUP_INITIATORS)[number];

export const hangupEventSchema = z
  .object({
    event: z.literal('hangup'),
    ...eventBaseShape,
    reason: z.string().min(1).meta({
      description:
        'Why the call ended, e.g. `caller_hangup`, `agent_hangup`, `rejected`, `agent_unreachable`, `shutdown`.',
    }),
    initiator: z.enum(HANGUP_INITIATORS),
    cause: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({ description: 'Q.850 cause code when Asterisk reported one.' }),
    startTime: epochMsSchema,
    answerTime: epochMsSchema.optional(),
    hangupTime: epochMsSchema,
  })
  .meta({ description: 'The call ended; the adapter closes the socket after this event' });

/** The steps of a warm transfer (`refer` with `mode: "warm"`), in order; `failed` may follow any before `completed`. */
export const TRANSFER_STATES = ['started', 'ringing', 'answered', 'summary_played', 'completed', 'failed'] as const;
/** Why a warm transfer failed. */
export const TRANSFER_FAILURE_REASONS = [
  'busy',
  'no_answer',
  'declined',
  'human_hangup',
  'unreachable',
  'caller_hangup',
  'cancelled',
] as const;

export const transferEventSchema = z
  .object({
    event: z.literal('transfer'),
    ...eventBaseShape,
    transferId: z.string().min(1),
    state: z.enum(TRANSFER_STATES),
    target: z.string().meta({ description: 'The channel the person is dialled on (`PJSIP/200`, `Local/200@ctx`).' }),
    reason: z.enum(TRANSFER_FAILURE_REASONS).optional().meta({ description: 'With `failed`: why.' }),
    message: z.string().optional().meta({ description: 'With `failed`: a sentence saying why.' }),
    cause: z.number().int().nonnegative().optional().meta({
      description: "With `failed`: the Q.850 cause Asterisk gave for the person's leg (17 busy, 19 no answer).",
    }),
    causeText: z.string().optional(),
  })
  .meta({
    description:
      'A step of a warm transfer; after `failed` the caller is back with the agent, after `completed` the hangup follows',
  });
/** Why a call an agent placed with `invite` was not answered. */
export const INVITE_REJECT_REASONS = ['busy', 'no_answer', 'failed'] as const;
export type InviteRejectReason = (typeof INVITE_REJECT_REASONS)[number];

export const rejectEventSchema = z
  .object({
    event: z.literal('reject'),
    ...eventBaseShape,
    reason: z.enum(INVITE_REJECT_REASONS).meta({
      description: '`busy` (cause 17), `no_answer` (18, 19, or the invite timeout) or `failed` (anything else).',
    }),
    cause: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({ description: 'Q.850 cause code Asterisk reported (absent when Asterisk refused the dial outright).' }),
    causeText: z.string().optional().meta({ description: "Asterisk's text for the cause, e.g. `User busy`." }),
    message: z.string().meta({ description: 'What happened, for people.' }),
  })
  .meta({ description: 'The call placed with invite was not answered; the socket may invite again' });

/** Error codes the adapter sends in `error` events. Agents must treat unknown codes as generic errors. */
export const AGENT_ERROR_CODES = [
  'malformed_json',
  'unknown_command',
  'invalid_command',
  'unsupported_command',
  'invalid_state',
  'play_failed',
  'refer_failed',
  'dtmf_failed',
  'audio_overflow',
  'internal_error',
  'destination_not_allowed',
  'invite_unavailable',
  /** Agents that dial in: the claimed call is not waiting (or too many agents wait). */
  'claim_failed',
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

export const errorEventSchema = z
  .object({
    event: z.literal('error'),
    ...eventBaseShape,
    code: z.string().min(1),
    message: z.string(),
    command: z.string().optional().meta({ description: 'The command that caused the error, when one did.' }),
    playId: playIdSchema.optional(),
  })
  .meta({ description: 'A command failed or could not be honoured' });

/** Every adapter → agent event. */
export const adapterEventSchema = z.discriminatedUnion('event', [
  incomingEventSchema,
  answerEventSchema,
  ringingEventSchema,
  speakingEventSchema,
  silenceEventSchema,
  dtmfEventSchema,
  trackStartEventSchema,
  trackEndEventSchema,
  interruptionEventSchema,
  markEventSchema,
  hangupEventSchema,
  errorEventSchema,
  transferEventSchema,
  rejectEventSchema,
]);

export type AgentAudioFormat = z.output<typeof agentAudioFormatSchema>;
export type ChannelInfo = z.output<typeof channelInfoSchema>;
export type AmdInfo = z.output<typeof amdInfoSchema>;
export type IncomingEvent = z.output<typeof incomingEventSchema>;
export type AnswerEvent = z.output<typeof answerEventSchema>;
export type RingingEvent = z.output<typeof ringingEventSchema>;
export type SpeakingEvent = z.output<typeof speakingEventSchema>;
export type SilenceEvent = z.output<typeof silenceEventSchema>;
export type DtmfEvent = z.output<typeof dtmfEventSchema>;
export type TrackStartEvent = z.output<typeof trackStartEventSchema>;
export type TrackEndEvent = z.output<typeof trackEndEventSchema>;
export type InterruptionEvent = z.output<typeof interruptionEventSchema>;
export type MarkEvent = z.output<typeof markEventSchema>;
export type HangupEvent = z.output<typeof hangupEventSchema>;
export type TransferEvent = z.output<typeof transferEventSchema>;
export type RejectEvent = z.output<typeof rejectEventSchema>;
/** An `error` event; `code` is one of `AGENT_ERROR_CODES` when the adapter sends it. */
export type ErrorEvent = z.output<typeof errorEventSchema>;

export type AdapterEvent = z.output<typeof adapterEventSchema>;
export type AdapterEventName = AdapterEvent['event'];

/** Every adapter → agent event name, in protocol-document order. */
export const ADAPTER_EVENT_NAMES = [
  'incoming',
  'answer',
  'ringing',
  'speaking',
  'silence',
  'dtmf',
  'trackStart',
  'trackEnd',
  'interruption',
  'mark',
  'hangup',
  'error',
  'transfer',
  'reject',
] as const satisfies readonly AdapterEventName[];

/** The JSON text frame for an event. */
export function encodeAdapterEvent(event: AdapterEvent): string {
  return JSON.stringify(event);
}

/** An `error` event for a command the adapter refused. */
export function agentErrorEvent(
  callId: string,
  timestamp: number,
  code: AgentErrorCode,
  message: string,
  extra: { command?: string; playId?: string } = {},
): ErrorEvent {
  return { event: 'error', callId, timestamp, code, message, ...extra };
}
