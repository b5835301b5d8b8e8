import type { AudioFormat } from '../../audio/format.js';
import type { WebRtcCodecName } from '../../protocols/agent/webrtc-signalling.js';

/** Milliseconds of audio in every RTP packet the adapter sends (and expects). */
export const RTP_PACKET_MS = 20;

/** The SDP side of a codec: what goes into `a=rtpmap` / `a=fmtp`. */
export interface RtpCodecSpec {
  readonly name: WebRtcCodecName;
  readonly mimeType: string;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly channels: number;
  readonly fmtp: string | undefined;
}

/** Static payload types for G.711 (RFC 3551); 111 for Opus, as browsers use. */
export const RTP_CODEC_SPECS: Readonly<Record<WebRtcCodecName, RtpCodecSpec>> = Object.freeze({
  opus: {
    name: 'opus',
    mimeType: 'audio/opus',
    payloadType: 111,
    clockRate: 48000,
    channels: 2,
    fmtp: 'minptime=10;useinbandfec=1',
  },
  PCMU: { name: 'PCMU', mimeType: 'audio/PCMU', payloadType: 0, clockRate: 8000, channels: 1, fmtp: undefined },
  PCMA: { name: 'PCMA', mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: undefined },
});

/**
 * One call's audio codec on the RTP side. `format` is what the media bridge hands in and takes out: G.711 bytes at
 * 8 kHz for PCMU/PCMA (so an 8 kHz leg needs only G.711 coding, no resampling), PCM16 at the leg's rate for Opus
 * (libopus encodes from and decodes to 8 or 16 kHz itself, so no resampler runs at all).
 */
export interface RtpAudioCodec {
  readonly spec: RtpCodecSpec;
  readonly format: AudioFormat;
  /** Bytes of one 20 ms frame in `format`. */
  readonly frameBytes: number;
  /** RTP timestamp units per 20 ms packet. */
  readonly timestampStep: number;
  /** One 20 ms frame in `format` → one RTP payload. */
  encode(frame: Buffer): Buffer;
  /** One RTP payload → audio in `format` (20 ms for the packets the adapter negotiates). */
  decode(payload: Buffer): Buffer;
  /** 20 ms that stand in for a lost packet: Opus packet-loss concealment, silence for G.711. */
  conceal(): Buffer;
  /** 20 ms of digital silence in `format`. */
  silence(): Buffer;
  // Stays synchronous: frees codec memory on the per-packet path, with nothing to wait for.
  close(): void;
}
