import { ALAW8K, type AudioFormat, PCM8K, PCM16K, ULAW8K } from '../../audio/format.js';
import type { WebRtcCodecName } from '../../protocols/agent/webrtc-signalling.js';
import { OpusFrameCodec } from './opus-frame-codec.js';

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
  close(): void;
}

/** G.711: the bridge already delivers μ-law/A-law bytes, so RTP payloads are the frames themselves. */
class G711Codec implements RtpAudioCodec {
  readonly spec: RtpCodecSpec;
  readonly format: AudioFormat;
  readonly frameBytes = 160;
  readonly timestampStep = 160;
  readonly #silence: Buffer;

  constructor(spec: RtpCodecSpec) {
    this.spec = spec;
    this.format = spec.name === 'PCMU' ? ULAW8K : ALAW8K;
    // Digital silence: μ-law 0xFF and A-law 0xD5 both decode to 0.
    this.#silence = Buffer.alloc(this.frameBytes, spec.name === 'PCMU' ? 0xff : 0xd5);
  }

  encode(frame: Buffer): Buffer {
    return frame;
  }

  decode(payload: Buffer): Buffer {
    return payload;
  }

  conceal(): Buffer {
    return this.#silence;
  }

  close(): void {}
}

/** Builds the codec for a negotiated name, for a call whose leg runs at `legRate`. */
export function createRtpAudioCodec(name: WebRtcCodecName, legRate: number): RtpAudioCodec {
  switch (name) {
    case 'PCMU':
    case 'PCMA':
      return new G711Codec(RTP_CODEC_SPECS[name]);
    case 'opus':
      return new OpusFrameCodec(RTP_CODEC_SPECS.opus, legRate === 16000 ? PCM16K : PCM8K);
  }
}

/** The format a codec will use on a leg at `legRate`, known before negotiation (for the agent's tentative formats). */
export function codecFormat(name: WebRtcCodecName, legRate: number): AudioFormat {
  switch (name) {
    case 'PCMU':
      return ULAW8K;
    case 'PCMA':
      return ALAW8K;
    case 'opus':
      return legRate === 16000 ? PCM16K : PCM8K;
  }
}
