import { type AudioFormat, frameBytes } from './format.js';
import { Reframer } from './reframer.js';
import { silenceByte } from './silence.js';

/**
 * Cuts a converted audio stream (caller audio on its way to an agent) into whole 20 ms frames of its format, so an
 * agent always gets frames of exactly its frame size (a Twilio `media` payload is always 160 bytes of μ-law).
 *
 * Start: a resampler emits less than a frame for the first frame it is given (its group delay). That first chunk is
 * padded in front with silence to a whole frame, so frame n holds the caller's frame n (delayed by the group delay)
 * from then on, instead of every frame lagging a partial frame behind for the whole call.
 * End: a partial frame left when the stream stops is held and never sent (it is less than 20 ms of audio at the very
 * end of the call; sending it short would break the frame size, padding it would invent a frame the caller never
 * sent).
 */
export class StreamFramer {
  readonly format: AudioFormat;
  readonly frameBytes: number;
  readonly #reframer: Reframer;
  #started = false;

  constructor(format: AudioFormat) {
    this.format = format;
    this.frameBytes = frameBytes(format);
    this.#reframer = new Reframer(this.frameBytes);
  }

  /** Bytes held back, waiting to complete a frame. */
  get pendingBytes(): number {
    return this.#reframer.pendingBytes;
  }

  /** Returns every whole frame now available (each its own buffer of `frameBytes`). */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    let data = chunk;
    if (!this.#started) {
      this.#started = true;
      const short = (this.frameBytes - (chunk.length % this.frameBytes)) % this.frameBytes;
      if (short > 0) data = Buffer.concat([Buffer.alloc(short, silenceByte(this.format)), chunk]);
    }
    return this.#reframer.push(data);
  }
}
