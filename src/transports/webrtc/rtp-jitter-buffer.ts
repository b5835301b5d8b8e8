/**
 * Receive-side jitter buffer for one RTP audio stream of 20 ms packets. Pure bookkeeping: packets go in as they
 * arrive (any order), and the owner takes one packet's worth per 20 ms tick.
 *
 * - **Depth.** Playout starts once `targetDepth` packets are held (default 3 = 60 ms), or once the first packet has
 *   waited that many ticks. At most `maxDepth` packets are held (default 10 = 200 ms): a packet further ahead than
 *   that makes the buffer skip forward, dropping the oldest (counted in `overflowDropped`). A buffer that stays
 *   above `targetDepth + 2` for 25 ticks (0.5 s) in a row (the sender's clock runs fast) drops one packet (`driftDropped`).
 * - **Reordering** within the held window is undone: packets are keyed by their extended sequence number.
 * - **Loss.** When the next packet is missing but later ones are held, `take()` reports `lost` so the owner conceals
 *   it; a packet arriving after its turn is dropped (`late`).
 * - **Pauses.** When the buffer runs dry it conceals up to `maxConcealed` ticks (default 3), then goes idle without
 *   consuming sequence numbers, so a sender that merely paused resumes seamlessly; playout restarts at `targetDepth`.
 * - **Flush** (barge-in) drops what is held but keeps the sequence position, so the packets that follow are neither
 *   late nor counted as lost.
 */

export interface RtpJitterBufferOptions {
  /** Packets held before playout starts; the buffer's nominal delay in packets. Default 3. */
  readonly targetDepth?: number;
  /** Most packets held. Default 10. */
  readonly maxDepth?: number;
  /** Ticks concealed while the buffer is dry before it goes idle. Default 3. */
  readonly maxConcealed?: number;
}

export type JitterTake =
  | { readonly kind: 'packet'; readonly seq: number; readonly payload: Buffer }
  /** The packet due now is missing: conceal one packet's worth. */
  | { readonly kind: 'lost'; readonly seq: number }
  /** Nothing to play: buffering, or the sender paused. */
  | { readonly kind: 'idle' };

export type JitterPushResult = 'queued' | 'late' | 'duplicate';

export interface RtpJitterBufferStats {
  received: number;
  played: number;
  /** Ticks concealed because the packet due was missing. */
  concealed: number;
  late: number;
  duplicate: number;
  /** Packets that arrived out of order and were put back in sequence. */
  reordered: number;
  overflowDropped: number;
  driftDropped: number;
  flushed: number;
  /** Times playout started (first packet, and after each idle spell). */
  starts: number;
  /** Times the sequence jumped so far that the buffer started over. */
  resets: number;
  maxDepthSeen: number;
}

/** Sequence jumps larger than this are a new stream (sender restarted), not loss. */
const RESET_JUMP = 1000;
const DRIFT_TICKS = 25;

export class RtpJitterBuffer {
  readonly targetDepth: number;
  readonly maxDepth: number;
  readonly maxConcealed: number;
  readonly stats: RtpJitterBufferStats = {
    received: 0,
    played: 0,
    concealed: 0,
    late: 0,
    duplicate: 0,
    reordered: 0,
    overflowDropped: 0,
    driftDropped: 0,
    flushed: 0,
    starts: 0,
    resets: 0,
    maxDepthSeen: 0,
  };
  readonly #slots = new Map<number, Buffer>();
  /** Highest extended sequence number seen, the reference for unwrapping. */
  #highest: number | undefined;
  /** Extended sequence number due next; undefined before the first packet. */
  #next: number | undefined;
  #playing = false;
  #waitTicks = 0;
  #drySince = 0;
  #deepTicks = 0;

  constructor(options: RtpJitterBufferOptions = {}) {
    this.targetDepth = Math.max(1, Math.floor(options.targetDepth ?? 3));
    this.maxDepth = Math.max(this.targetDepth + 1, Math.floor(options.maxDepth ?? 10));
    this.maxConcealed = Math.max(0, Math.floor(options.maxConcealed ?? 3));
  }

  /** Packets held now. */
  get depth(): number {
    return this.#slots.size;
  }

  get playing(): boolean {
    return this.#playing;
  }

  push(sequenceNumber: number, payload: Buffer): JitterPushResult {
    this.stats.received += 1;
    let ext = this.#unwrap(sequenceNumber & 0xffff);
    if (this.#next !== undefined && Math.abs(ext - this.#next) > RESET_JUMP) {
      this.#reset();
      ext = this.#unwrap(sequenceNumber & 0xffff);
    }
    if (this.#next !== undefined && ext < this.#next) {
      this.stats.late += 1;
      return 'late';
    }
    if (this.#slots.has(ext)) {
      this.stats.duplicate += 1;
      return 'duplicate';
    }
    if (this.#highest !== undefined && ext < this.#highest) this.stats.reordered += 1;
    this.#slots.set(ext, payload);
    if (this.#highest === undefined || ext > this.#highest) this.#highest = ext;
    this.#next ??= ext;
    if (ext < this.#next) this.#next = ext;
    // Keep the window bounded: skip forward past the oldest held positions.
    while (this.#highest - this.#next + 1 > this.maxDepth) {
      if (this.#slots.delete(this.#next)) this.stats.overflowDropped += 1;
      this.#next += 1;
    }
    if (this.#slots.size > this.stats.maxDepthSeen) this.stats.maxDepthSeen = this.#slots.size;
    return 'queued';
  }

  /** One tick's worth of playout. */
  take(): JitterTake {
    if (this.#next === undefined) return { kind: 'idle' };
    if (!this.#playing) {
      if (this.#slots.size === 0) return { kind: 'idle' };
      this.#waitTicks += 1;
      if (this.#slots.size < this.targetDepth && this.#waitTicks < this.targetDepth) return { kind: 'idle' };
      this.#start();
    }
    this.#controlDrift();
    const due = this.#next;
    const payload = this.#slots.get(due);
    if (payload !== undefined) {
      this.#slots.delete(due);
      this.#next = due + 1;
      this.#drySince = 0;
      this.stats.played += 1;
      return { kind: 'packet', seq: due & 0xffff, payload };
    }
    if (this.#slots.size > 0) {
      // A later packet is here, this one is not: it is lost (or later than the buffer is deep).
      this.#next = due + 1;
      this.#drySince = 0;
      this.stats.concealed += 1;
      return { kind: 'lost', seq: due & 0xffff };
    }
    if (this.#drySince < this.maxConcealed) {
      this.#drySince += 1;
      this.#next = due + 1;
      this.stats.concealed += 1;
      return { kind: 'lost', seq: due & 0xffff };
    }
    // Dry for longer than a loss burst: the sender paused. Give back the positions concealed in the meantime.
    this.#next = due - this.#drySince;
    this.#drySince = 0;
    this.#playing = false;
    this.#waitTicks = 0;
    return { kind: 'idle' };
  }

  /** Drops the packets held (the utterance they belong to was cut); the sequence position is kept. */
  flush(): number {
    const n = this.#slots.size;
    if (n === 0) return 0;
    this.stats.flushed += n;
    if (this.#highest !== undefined) this.#next = this.#highest + 1;
    this.#slots.clear();
    this.#playing = false;
    this.#waitTicks = 0;
    this.#drySince = 0;
    return n;
  }

  #start(): void {
    this.#playing = true;
    this.#waitTicks = 0;
    this.#drySince = 0;
    this.#deepTicks = 0;
    this.stats.starts += 1;
    // Positions before the oldest held packet were lost while idle; nothing is concealed for them.
    let oldest = Number.POSITIVE_INFINITY;
    for (const k of this.#slots.keys()) if (k < oldest) oldest = k;
    if (this.#next === undefined || oldest > this.#next) this.#next = oldest;
  }

  #controlDrift(): void {
    if (this.#slots.size > this.targetDepth + 2) this.#deepTicks += 1;
    else this.#deepTicks = 0;
    if (this.#deepTicks < DRIFT_TICKS || this.#next === undefined) return;
    this.#deepTicks = 0;
    if (this.#slots.delete(this.#next)) this.stats.driftDropped += 1;
    this.#next += 1;
  }

  #reset(): void {
    this.stats.resets += 1;
    this.#slots.clear();
    this.#highest = undefined;
    this.#next = undefined;
    this.#playing = false;
    this.#waitTicks = 0;
    this.#drySince = 0;
  }

  /** The extended (unwrapped) sequence number closest to the highest seen. */
  #unwrap(seq: number): number {
    const ref = this.#highest;
    if (ref === undefined) return seq + 0x10000;
    const refLow = ref & 0xffff;
    let delta = seq - refLow;
    if (delta > 0x8000) delta -= 0x10000;
    else if (delta < -0x8000) delta += 0x10000;
    return ref + delta;
  }
}
