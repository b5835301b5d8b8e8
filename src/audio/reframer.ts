/**
 * Cuts a byte stream arriving in arbitrary chunks into frames of exactly `frameBytes`, in order, with no byte
 * lost or duplicated. Leftover bytes wait for the next push; `flush()` hands them out (optionally padded with zeros).
 */
export class Reframer {
  readonly frameBytes: number;
  #pending: Buffer;
  #pendingLength = 0;

  constructor(frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be > 0: ${frameBytes}`);
    this.frameBytes = frameBytes;
    this.#pending = Buffer.alloc(frameBytes);
  }

  get pendingBytes(): number {
    return this.#pendingLength;
  }

  /** Returns every whole frame now available. Each returned Buffer is its own copy of `frameBytes` bytes. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    if (this.#pendingLength > 0) {
      const need = this.frameBytes - this.#pendingLength;
      const n = Math.min(need, chunk.length);
      chunk.copy(this.#pending, this.#pendingLength, 0, n);
      this.#pendingLength += n;
      offset = n;
      if (this.#pendingLength < this.frameBytes) return frames;
      frames.push(Buffer.from(this.#pending));
      this.#pendingLength = 0;
    }
    while (chunk.length - offset >= this.frameBytes) {
      frames.push(Buffer.from(chunk.subarray(offset, offset + this.frameBytes)));
      offset += this.frameBytes;
    }
    if (offset < chunk.length) {
      chunk.copy(this.#pending, 0, offset);
      this.#pendingLength = chunk.length - offset;
    }
    return frames;
  }

  /** Returns the leftover bytes (padded with zeros to a whole frame when `pad`), or undefined if none. */
  flush(pad = false): Buffer | undefined {
    if (this.#pendingLength === 0) return undefined;
    const out = pad ? Buffer.alloc(this.frameBytes) : Buffer.alloc(this.#pendingLength);
    this.#pending.copy(out, 0, 0, this.#pendingLength);
    this.#pendingLength = 0;
    return out;
  }

  reset(): void {
    this.#pendingLength = 0;
  }
}
