import { type AudioFormat, formatsEqual, pcmBuffer, pcmSamples } from './format.js';
import { alawDecodeInto, alawEncodeInto, ulawDecodeInto, ulawEncodeInto } from './g711.js';
import { StreamResampler } from './resampler.js';

/**
 * Converts a stream from one AudioFormat to another in one step: G.711 decode, one resampling stage, G.711 encode,
 * each only when needed. Where the formats are equal it is a pass-through (no copy, no filtering).
 * Stateful (the resampler keeps its history across chunks), one per direction per call.
 *
 * Buffers: every step works in scratch buffers the converter keeps (grown to the largest chunk seen), so a steady
 * stream of 20 ms frames allocates no audio memory. {@link push} hands out a copy of its own to the caller;
 * {@link pushTransient} hands out the scratch buffer itself, for a caller that consumes it at once.
 */
export class FormatConverter {
  readonly from: AudioFormat;
  readonly to: AudioFormat;
  readonly #resampler: StreamResampler | undefined;
  readonly #identity: boolean;
  #oddByte: number | undefined;
  /** Scratch: decoded G.711, PCM16 realigned to an even byte offset, encoded G.711. */
  #decoded = new Int16Array(0);
  #aligned = Buffer.alloc(0);
  #encoded = Buffer.alloc(0);

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

  /** Converts the next chunk; the result is the caller's to keep (for equal formats, `chunk` itself). */
  push(chunk: Buffer): Buffer {
    if (this.#identity) return chunk;
    return Buffer.from(this.pushTransient(chunk));
  }

  /**
   * Converts the next chunk into the converter's own scratch memory (for equal formats: `chunk` itself). The result
   * is valid until the next `push`, `pushTransient`, `flush` or `reset`: read or copy it at once, never keep it.
   */
  pushTransient(chunk: Buffer): Buffer {
    if (this.#identity) return chunk;
    const samples = this.#decode(chunk);
    const resampled = this.#resampler ? this.#resampler.pushView(samples) : samples;
    return this.#encode(resampled);
  }

  /** Emits what the resampler still holds (end of stream); the result is the caller's to keep. */
  flush(): Buffer {
    if (!this.#resampler) return Buffer.alloc(0);
    return Buffer.from(this.#encode(this.#resampler.flush()));
  }

  reset(): void {
    this.#resampler?.reset();
    this.#oddByte = undefined;
  }

  #decode(chunk: Buffer): Int16Array {
    switch (this.from.encoding) {
      case 'ulaw':
        return ulawDecodeInto(chunk, this.#decodedFor(chunk.length));
      case 'alaw':
        return alawDecodeInto(chunk, this.#decodedFor(chunk.length));
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
        // An AudioSocket payload sits 3 bytes into the frame: realign it in scratch rather than in a new copy.
        if (data.byteOffset % 2 === 0) return pcmSamples(data);
        if (this.#aligned.length < data.length)
          this.#aligned = Buffer.alloc(Math.max(data.length, 2 * this.#aligned.length));
        data.copy(this.#aligned);
        return pcmSamples(this.#aligned.subarray(0, data.length));
      }
    }
  }

  #decodedFor(samples: number): Int16Array {
    if (this.#decoded.length < samples) this.#decoded = new Int16Array(Math.max(samples, 2 * this.#decoded.length));
    return this.#decoded;
  }

  #encode(samples: Int16Array): Buffer {
    switch (this.to.encoding) {
      case 'ulaw':
        return ulawEncodeInto(samples, this.#encodedFor(samples.length));
      case 'alaw':
        return alawEncodeInto(samples, this.#encodedFor(samples.length));
      case 'pcm16':
        return pcmBuffer(samples);
    }
  }

  #encodedFor(bytes: number): Buffer {
    if (this.#encoded.length < bytes) this.#encoded = Buffer.alloc(Math.max(bytes, 2 * this.#encoded.length));
    return this.#encoded;
  }
}
