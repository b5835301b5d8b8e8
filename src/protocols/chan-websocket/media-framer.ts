/**
 * Cuts outbound audio into whole optimal-size frames for chan_websocket, which drops odd-sized remainders. Bytes
 * that do not fill a frame wait for the next push; `clear()` drops them (flush or barge-in). No frame or batch is
 * ever larger than the 65,500-byte message limit.
 */
import { CHAN_WEBSOCKET_MAX_MESSAGE_BYTES } from './limits.js';

export class MediaFramer {
  readonly frameBytes: number;
  #pending: Buffer = Buffer.alloc(0);

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
    this.#pending = Buffer.from(all.subarray(whole));
    return frames;
  }

  clear(): void {
    this.#pending = Buffer.alloc(0);
  }
}
