import { z } from 'zod';
import { describeZodIssues, eventBaseShape, parseJsonObject } from './common.js';

/**
 * WebRTC signalling over the native control channel (docs/agent-protocol.md §8). On a route of kind `webrtc` the
 * adapter and the agent exchange an SDP offer and answer and trickled ICE candidates as JSON text frames next to the
 * ordinary events and commands; audio flows as RTP over the negotiated peer connection instead of binary frames.
 *
 * - adapter → agent: `offer {sdp}` after the agent's `accept`, then `candidate {…}` for any later local candidate;
 * - agent → adapter: `answer {sdp}`, and `candidate {…}` for each ICE candidate the agent gathers.
 *
 * `candidate` carries the fields of a W3C `RTCIceCandidateInit`, flattened; an empty `candidate` string means
 * end-of-candidates.
 */

/** Codec names the adapter can offer, in the spelling of SDP `a=rtpmap` lines. */
export const WEBRTC_CODEC_NAMES = ['opus', 'PCMU', 'PCMA'] as const;
export type WebRtcCodecName = (typeof WEBRTC_CODEC_NAMES)[number];

/** An SDP document (offer or answer). Bounded so a hostile peer cannot make the adapter parse megabytes. */
export const sdpSchema = z
  .string()
  .min(1)
  .max(64 * 1024)
  .refine((s) => s.startsWith('v=0'), { message: 'an SDP document starts with v=0' })
  .meta({ description: 'SDP document (RFC 8866)' });

/** Fields of an RTCIceCandidateInit; `candidate: ""` signals end-of-candidates. */
export const iceCandidateShape = {
  candidate: z
    .string()
    .max(1024)
    .meta({ description: 'candidate-attribute without "a=", or "" for end-of-candidates' }),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
};

/** How a WebRTC route's audio travels; sent in `incoming.media`. */
export const webrtcMediaSchema = z
  .object({
    transport: z.literal('webrtc'),
    codecs: z
      .array(z.enum(WEBRTC_CODEC_NAMES))
      .min(1)
      .meta({ description: 'Codecs the adapter will offer, most preferred first' }),
  })
  .meta({ description: 'Audio flows as RTP over a peer connection negotiated with offer/answer/candidate' });

export const offerEventSchema = z
  .object({ event: z.literal('offer'), ...eventBaseShape, sdp: sdpSchema })
  .meta({ description: 'SDP offer for the call audio; answer with the answer command' });

export const candidateEventSchema = z
  .object({ event: z.literal('candidate'), ...eventBaseShape, ...iceCandidateShape })
  .meta({ description: 'An ICE candidate of the adapter' });

export const answerCommandSchema = z
  .object({ command: z.literal('answer'), sdp: sdpSchema })
  .meta({ description: 'SDP answer to the offer event' });

export const candidateCommandSchema = z
  .object({ command: z.literal('candidate'), ...iceCandidateShape })
  .meta({ description: 'An ICE candidate of the agent' });

/** Signalling events the adapter sends on a WebRTC route. */
export const webrtcSignalEventSchema = z.discriminatedUnion('event', [offerEventSchema, candidateEventSchema]);
/** Signalling commands an agent sends on a WebRTC route. */
export const webrtcSignalCommandSchema = z.discriminatedUnion('command', [answerCommandSchema, candidateCommandSchema]);

export type WebRtcMedia = z.output<typeof webrtcMediaSchema>;
export type OfferEvent = z.output<typeof offerEventSchema>;
export type CandidateEvent = z.output<typeof candidateEventSchema>;
export type AnswerCommand = z.output<typeof answerCommandSchema>;
export type CandidateCommand = z.output<typeof candidateCommandSchema>;
export type WebRtcSignalEvent = z.output<typeof webrtcSignalEventSchema>;
export type WebRtcSignalCommand = z.output<typeof webrtcSignalCommandSchema>;
/** The ICE candidate fields shared by the `candidate` event and command. */
export type IceCandidateFields = Pick<CandidateCommand, keyof typeof iceCandidateShape>;

export const WEBRTC_SIGNAL_EVENT_NAMES = [
  'offer',
  'candidate',
] as const satisfies readonly WebRtcSignalEvent['event'][];
export const WEBRTC_SIGNAL_COMMAND_NAMES = [
  'answer',
  'candidate',
] as const satisfies readonly WebRtcSignalCommand['command'][];

const signalCommands: ReadonlySet<string> = new Set(WEBRTC_SIGNAL_COMMAND_NAMES);
const signalEvents: ReadonlySet<string> = new Set(WEBRTC_SIGNAL_EVENT_NAMES);

/** Why a signalling frame was refused; the code is also the `error` event code the adapter answers with. */
export interface SignalMessageError {
  readonly code: 'invalid_command';
  readonly message: string;
  readonly command?: string;
}

export type ParseSignalResult<T> =
  /** Not a signalling message: parse it as an ordinary event or command. */
  | { readonly ok: false; readonly signal: false }
  | { readonly ok: true; readonly signal: true; readonly message: T }
  | { readonly ok: false; readonly signal: true; readonly error: SignalMessageError };

/**
 * Reads an agent's text frame as a signalling command. Frames whose `command` is not `answer` or `candidate`
 * (or that are not JSON objects) come back as `{signal: false}` for `parseAgentMessage` to handle. Never throws.
 */
export function parseWebRtcSignalCommand(text: string): ParseSignalResult<WebRtcSignalCommand> {
  const json = parseJsonObject(text);
  if (!json.ok) return { ok: false, signal: false };
  const name = json.value['command'];
  if (typeof name !== 'string' || !signalCommands.has(name)) return { ok: false, signal: false };
  const parsed = webrtcSignalCommandSchema.safeParse(json.value);
  if (!parsed.success) {
    return {
      ok: false,
      signal: true,
      error: { code: 'invalid_command', message: `${name}: ${describeZodIssues(parsed.error)}`, command: name },
    };
  }
  return { ok: true, signal: true, message: parsed.data };
}

/** Reads an adapter text frame as a signalling event, as an agent does; like `parseWebRtcSignalCommand`. */
export function parseWebRtcSignalEvent(text: string): ParseSignalResult<WebRtcSignalEvent> {
  const json = parseJsonObject(text);
  if (!json.ok) return { ok: false, signal: false };
  const name = json.value['event'];
  if (typeof name !== 'string' || !signalEvents.has(name)) return { ok: false, signal: false };
  const parsed = webrtcSignalEventSchema.safeParse(json.value);
  if (!parsed.success) {
    return {
      ok: false,
      signal: true,
      error: { code: 'invalid_command', message: `${name}: ${describeZodIssues(parsed.error)}` },
    };
  }
  return { ok: true, signal: true, message: parsed.data };
}

/** The ICE candidate fields of a message, without `undefined` members (for RTCPeerConnection.addIceCandidate). */
export function iceCandidateFields(m: IceCandidateFields): IceCandidateFields {
  return {
    candidate: m.candidate,
    ...(m.sdpMid !== undefined ? { sdpMid: m.sdpMid } : {}),
    ...(m.sdpMLineIndex !== undefined ? { sdpMLineIndex: m.sdpMLineIndex } : {}),
    ...(m.usernameFragment !== undefined ? { usernameFragment: m.usernameFragment } : {}),
  };
}
