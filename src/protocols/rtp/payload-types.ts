/**
 * RTP payload types of the formats the adapter asks of Asterisk's UnicastRTP channel (externalMedia
 * `encapsulation=rtp`). Facts from Asterisk's rtp_engine and chan_rtp (16 through 23):
 * - UnicastRTP negotiates nothing, so it sends with the global payload-type table: μ-law 0, A-law 8, slin 10
 *   (the first entry mapped to 8 kHz signed linear; 11 maps to it too), slin16 118.
 * - On receive it resolves a payload type through that table only up to 34 (the last static type); a dynamic
 *   type such as 118 has no mapping on the channel and the packet is dropped. So Asterisk reads μ-law, A-law and
 *   8 kHz L16 (10, 11) from us, but not 16 kHz L16: towards Asterisk a slin16 call is sent as 8 kHz L16 (PT 10)
 *   by default, which Asterisk accepts and converts (a channel accepts voice frames of any format on read).
 * Pure data; no sockets.
 */
import { ALAW8K, type AudioFormat, PCM8K, PCM16K, ULAW8K } from '../../audio/format.js';

export const RTP_FORMATS = ['ulaw', 'alaw', 'slin', 'slin16'] as const;
export type RtpFormat = (typeof RTP_FORMATS)[number];

export interface RtpFormatSpec {
  readonly format: RtpFormat;
  /** The adapter's audio format of the payload (L16 is carried big-endian on the wire, PCM16 LE inside). */
  readonly audio: AudioFormat;
  /** The payload type Asterisk sends this format with. */
  readonly asteriskPayloadType: number;
  /** Payload types Asterisk's UnicastRTP reads as this format (empty: none, it drops what it receives). */
  readonly readByAsterisk: readonly number[];
}

export const RTP_FORMAT_SPECS: { readonly [F in RtpFormat]: RtpFormatSpec } = {
  ulaw: { format: 'ulaw', audio: ULAW8K, asteriskPayloadType: 0, readByAsterisk: [0] },
  alaw: { format: 'alaw', audio: ALAW8K, asteriskPayloadType: 8, readByAsterisk: [8] },
  slin: { format: 'slin', audio: PCM8K, asteriskPayloadType: 10, readByAsterisk: [10, 11] },
  slin16: { format: 'slin16', audio: PCM16K, asteriskPayloadType: 118, readByAsterisk: [] },
};

/** Payload types that carry no audio of the call's format: comfort noise (13, 19) and DTMF events (101, 121). */
export const RTP_NON_AUDIO_PAYLOAD_TYPES: ReadonlySet<number> = new Set([13, 19, 101, 121]);

/** How the adapter sends one call's audio towards Asterisk. */
export interface RtpSendPlan {
  /** Format of the payload sent (8 kHz L16 for slin16 calls unless told otherwise, see above). */
  readonly format: RtpFormat;
  readonly payloadType: number;
}

/**
 * The send plan for a call in `format`: Asterisk's own payload type for the format it can read; for slin16,
 * `slin16Send` says whether to send 8 kHz L16 (`slin`, read by every Asterisk) or 16 kHz L16 (`slin16`, for an
 * Asterisk that maps the dynamic type). `payloadTypes` overrides the payload type per sent format.
 */
export function rtpSendPlan(
  format: RtpFormat,
  options: { slin16Send?: 'slin' | 'slin16'; payloadTypes?: Partial<Record<RtpFormat, number>> } = {},
): RtpSendPlan {
  const sent: RtpFormat = format === 'slin16' ? (options.slin16Send ?? 'slin') : format;
  return { format: sent, payloadType: options.payloadTypes?.[sent] ?? RTP_FORMAT_SPECS[sent].asteriskPayloadType };
}

/** Samples in one 20 ms frame of `format`. */
export function samplesPer20Ms(format: RtpFormat): number {
  return RTP_FORMAT_SPECS[format].audio.sampleRate / 50;
}
