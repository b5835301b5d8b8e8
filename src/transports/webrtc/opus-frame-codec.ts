import { Decoder, Encoder } from '@evan/opus';
import { type AudioFormat, frameBytes } from '../../audio/format.js';
import type { RtpAudioCodec, RtpCodecSpec } from './rtp-codec-spec.js';

/** Opus bitrate for one mono voice stream, bits per second (WebRTC's usual figure for speech). */
export const OPUS_BITRATE = 32_000;

/**
 * Opus over RTP (RFC 7587: 48 kHz RTP clock whatever the audio rate) with libopus from `@evan/opus`, which ships
 * its native binary. The encoder takes and the decoder yields mono PCM16 at the call's leg rate (8 or 16 kHz):
 * libopus handles the band limits itself, so the call path has no separate resampler. Concealment feeds the
 * decoder a packet with only the table-of-contents byte of the last packet, which libopus treats as a lost frame
 * (its packet-loss concealment continues the signal instead of cutting to silence).
 */
export class OpusFrameCodec implements RtpAudioCodec {
  readonly spec: RtpCodecSpec;
  readonly format: AudioFormat;
  readonly frameBytes: number;
  readonly timestampStep: number;
  readonly #encoder: Encoder;
  readonly #decoder: Decoder;
  #lastToc: number | undefined;

  constructor(spec: RtpCodecSpec, format: AudioFormat) {
    if (format.encoding !== 'pcm16') throw new RangeError('Opus frames are PCM16');
    this.spec = spec;
    this.format = format;
    this.frameBytes = frameBytes(format);
    this.timestampStep = (spec.clockRate * 20) / 1000;
    const rate = format.sampleRate as 8000 | 16000;
    this.#encoder = new Encoder({ channels: 1, sample_rate: rate, application: 'voip' });
    this.#encoder.bitrate = OPUS_BITRATE;
    this.#encoder.signal = 'voice';
    this.#encoder.inband_fec = true;
    this.#encoder.packet_loss = 5;
    this.#decoder = new Decoder({ channels: 1, sample_rate: rate });
  }

  encode(frame: Buffer): Buffer {
    const packet = this.#encoder.encode(frame);
    return Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  }

  decode(payload: Buffer): Buffer {
    if (payload.length === 0) return this.conceal();
    let pcm: Uint8Array;
    try {
      pcm = this.#decoder.decode(payload);
    } catch {
      // A corrupt packet is treated like a lost one.
      return this.conceal();
    }
    this.#lastToc = payload[0];
    return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  }

  conceal(): Buffer {
    if (this.#lastToc === undefined) return Buffer.alloc(this.frameBytes);
    try {
      // Code 0 (one frame) with no frame data: libopus runs its concealment for one frame of that configuration.
      const pcm = this.#decoder.decode(new Uint8Array([this.#lastToc & 0xfc]));
      return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    } catch {
      return Buffer.alloc(this.frameBytes);
    }
  }

  silence(): Buffer {
    return Buffer.alloc(this.frameBytes);
  }

  // Synchronous by the RtpAudioCodec contract (nothing to free or wait for).
  close(): void {}
}
