import { ALAW8K, type AudioFormat, PCM8K, PCM16K, ULAW8K } from '../../audio/format.js';
import type { WebRtcCodecName } from '../../protocols/agent/webrtc-signalling.js';
import { OpusFrameCodec } from './opus-frame-codec.js';
import { RTP_CODEC_SPECS, type RtpAudioCodec, type RtpCodecSpec } from './rtp-codec-spec.js';

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

  silence(): Buffer {
    return this.#silence;
  }

  // Synchronous by the RtpAudioCodec contract (nothing to free or wait for).
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
