import { FRAME_MS } from '../../audio/format.js';

/** Chunk lengths an agent may take caller audio in: 20 to 100 ms in steps of 20 ms. */
export const UPLINK_CHUNK_MS = [20, 40, 60, 80, 100] as const;
export type UplinkChunkMs = (typeof UPLINK_CHUNK_MS)[number];

export function isUplinkChunkMs(value: unknown): value is UplinkChunkMs {
  return typeof value === 'number' && (UPLINK_CHUNK_MS as readonly number[]).includes(value);
}

/** How long caller audio waited in a chunker before it was sent, over a call. */
export interface UplinkHoldStats {
  readonly chunkMs: UplinkChunkMs;
  /** Frames taken and bytes sent. */
  readonly framesIn: number;
  readonly bytesOut: number;
  readonly chunks: number;
  /** Wait of each chunk's first frame (arrival → sent), summed and at most, ms. */
  readonly holdMsTotal: number;
  readonly holdMsMax: number;
  /** Partial chunks sent early (caller started speaking, call ended). */
  readonly partialChunks: number;
}

/**
 * Gathers the caller's 20 ms frames into chunks of `chunkMs` for an agent that takes bigger pieces (fewer messages
 * per call-second). With 20 ms every frame goes out as it comes, unchanged.
 *
 * Rule for a partial chunk: it is sent at once (shorter than `chunkMs`) when `flush()` is called, which the agents
 * do when the caller starts speaking (so the agent has every frame up to the `speaking` event before the event),
 * and when the call ends (no caller audio is lost at hangup). `drop()` discards it where the audio can no longer
 * be delivered (the connection is gone).
 *
 * The extra uplink latency is counted: each chunk's first frame waited `chunkMs - 20` ms at most, and `stats` has
 * what it actually waited.
 */
export class UplinkChunker {
  readonly chunkMs: UplinkChunkMs;
  readonly #send: (chunk: Buffer) => void;
  readonly #now: () => number;
  readonly #framesPerChunk: number;
  #frames: Buffer[] = [];
  #bytes = 0;
  #firstAt = 0;
  #chunks = 0;
  #framesIn = 0;
  #bytesOut = 0;
  #partial = 0;
  #holdTotal = 0;
  #holdMax = 0;

  constructor(chunkMs: UplinkChunkMs, send: (chunk: Buffer) => void, now: () => number = () => performance.now()) {
    this.chunkMs = chunkMs;
    this.#send = send;
    this.#now = now;
    this.#framesPerChunk = chunkMs / FRAME_MS;
  }

  /** Caller audio waiting for its chunk to fill, ms. */
  get pendingMs(): number {
    return this.#frames.length * FRAME_MS;
  }

  get stats(): UplinkHoldStats {
    return {
      chunkMs: this.chunkMs,
      framesIn: this.#framesIn,
      bytesOut: this.#bytesOut,
      chunks: this.#chunks,
      holdMsTotal: this.#holdTotal,
      holdMsMax: this.#holdMax,
      partialChunks: this.#partial,
    };
  }

  /** Takes one 20 ms frame; sends the chunk it completes. */
  push(frame: Buffer): void {
    this.#framesIn += 1;
    if (this.#framesPerChunk === 1) {
      this.#chunks += 1;
      this.#bytesOut += frame.length;
      this.#send(frame);
      return;
    }
    if (this.#frames.length === 0) this.#firstAt = this.#now();
    this.#frames.push(frame);
    this.#bytes += frame.length;
    if (this.#frames.length === this.#framesPerChunk) this.#emit();
  }

  /** Sends the partial chunk held, if any. */
  flush(): void {
    if (this.#frames.length === 0) return;
    this.#partial += 1;
    this.#emit();
  }

  /** Discards the partial chunk held; returns how many ms of audio that was. */
  drop(): number {
    const ms = this.pendingMs;
    this.#frames = [];
    this.#bytes = 0;
    return ms;
  }

  #emit(): void {
    const chunk = this.#frames.length === 1 ? (this.#frames[0] as Buffer) : Buffer.concat(this.#frames, this.#bytes);
    const hold = this.#now() - this.#firstAt;
    this.#frames = [];
    this.#bytes = 0;
    this.#chunks += 1;
    this.#bytesOut += chunk.length;
    this.#holdTotal += hold;
    if (hold > this.#holdMax) this.#holdMax = hold;
    this.#send(chunk);
  }
}
