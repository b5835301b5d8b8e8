/**
 * Cuts outbound audio into whole optimal-size frames for chan_websocket, which drops odd-sized remainders. Bytes
 * that do not fill a frame wait for the next push; `clear()` drops them (flush or barge-in). No frame or batch is
 * ever larger than the 65,500-byte message limit.
 */
import { CHAN_WEBSOCKET_MAX_MESSAGE_BYTES } from './limits.js';

const EMPTY = Buffer.alloc(0);

/**
 * Frames are views of the bytes pushed (or of a buffer of their own where a frame spans two pushes), never of memory
 * the framer writes again: the caller hands over read-only bytes and may pass the frames on to a socket as they are.
 */
export class MediaFramer {
  readonly frameBytes: number;
  #pending: Buffer = EMPTY;

  constructor(frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0 || frameBytes > CHAN_WEBSOCKET_MAX_MESSAGE_BYTES)
      throw new RangeError(`frame size must be 1..${CHAN_WEBSOCKET_MAX_MESSAGE_BYTES} bytes, not ${frameBytes}`);
    this.frameBytes = frameBytes;
  }

  /** Bytes held back until a frame is complete. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Adds bytes and returns every whole frame now available, in order. */
  push(data: Buffer): Buffer[] {
    const all = this.#pending.length === 0 ? data : Buffer.concat([this.#pending, data]);
    const whole = all.length - (all.length % this.frameBytes);
    const frames: Buffer[] = [];
    for (let at = 0; at < whole; at += this.frameBytes) frames.push(all.subarray(at, at + this.frameBytes));
    this.#pending = whole === all.length ? EMPTY : Buffer.from(all.subarray(whole));
    return frames;
  }

  clear(): void {
    this.#pending = EMPTY;
  }
}
