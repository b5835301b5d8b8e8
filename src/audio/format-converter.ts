import { type AudioFormat, formatsEqual, pcmBuffer, pcmSamples } from './format.js';
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from './g711.js';
import { StreamResampler } from './resampler.js';

/**
 * Converts a stream from one AudioFormat to another in one step: G.711 decode, one resampling stage, G.711 encode,
 * each only when needed. Where the formats are equal it is a pass-through (no copy, no filtering).
 * Stateful (the resampler keeps its history across chunks), one per direction per call.
 */
export class FormatConverter {
  readonly from: AudioFormat;
  readonly to: AudioFormat;
  readonly #resampler: StreamResampler | undefined;
  readonly #identity: boolean;
  #oddByte: number | undefined;

  constructor(from: AudioFormat, to: AudioFormat) {
    this.from = from;
    this.to = to;
    this.#identity = formatsEqual(from, to);
    // Any two rates of SAMPLE_RATES convert in one step; another rate throws AUDIO_RATE_UNSUPPORTED.
    if (from.sampleRate !== to.sampleRate) this.#resampler = new StreamResampler(from.sampleRate, to.sampleRate);
  }

  /** True when this converter resamples (used to prove that paths which need none construct none). */
  get resamples(): boolean {
    return this.#resampler !== undefined;
  }

  get isIdentity(): boolean {
    return this.#identity;
  }

  push(chunk: Buffer): Buffer {
    if (this.#identity) return chunk;
    const samples = this.#decode(chunk);
    const resampled = this.#resampler ? this.#resampler.push(samples) : samples;
    return this.#encode(resampled);
  }

  /** Emits what the resampler still holds (end of stream). */
  flush(): Buffer {
    if (!this.#resampler) return Buffer.alloc(0);
    return this.#encode(this.#resampler.flush());
  }

  reset(): void {
    this.#resampler?.reset();
    this.#oddByte = undefined;
  }

  #decode(chunk: Buffer): Int16Array {
    switch (this.from.encoding) {
      case 'ulaw':
        return ulawDecode(chunk);
      case 'alaw':
        return alawDecode(chunk);
      case 'pcm16': {
        // A PCM16 stream may be split mid-sample; carry the odd byte over to the next chunk.
        let data = chunk;
        if (this.#oddByte !== undefined) {
          data = Buffer.concat([Buffer.from([this.#oddByte]), chunk]);
          this.#oddByte = undefined;
        }
        if (data.length % 2 === 1) {
          this.#oddByte = data[data.length - 1];
          data = data.subarray(0, data.length - 1);
        }
        return pcmSamples(data);
      }
    }
  }

  #encode(samples: Int16Array): Buffer {
    switch (this.to.encoding) {
      case 'ulaw':
        return ulawEncode(samples);
      case 'alaw':
        return alawEncode(samples);
      case 'pcm16':
        return Buffer.from(pcmBuffer(samples));
    }
  }
}
