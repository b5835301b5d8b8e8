/**
 * Sequence numbers and timestamps of the RTP stream the adapter sends. Both start at random values (RFC 3550 §5.1)
 * and stay continuous for the whole call: the sequence number grows by one per packet, the timestamp by one packet's
 * worth of samples. When the caller audio pauses (nothing to send for longer than `gapMs`), the timestamp also
 * advances by the pause, rounded to whole packets, so it keeps tracking the sampling clock, and the first packet
 * after the pause carries the marker bit (start of a talkspurt, RFC 3551 §4.1). Nothing ever resets them.
 */
export interface RtpSendHeader {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly marker: boolean;
}

export interface RtpSendSequencerOptions {
  /** Timestamp units per packet (160 for 20 ms of G.711, 960 for 20 ms of Opus). */
  readonly timestampStep: number;
  readonly packetMs: number;
  /** A pause longer than this advances the timestamp and marks the next packet. Default 3 packets. */
  readonly gapMs?: number;
  readonly random?: () => number;
}

export class RtpSendSequencer {
  readonly #step: number;
  readonly #packetMs: number;
  readonly #gapMs: number;
  #seq: number;
  #timestamp: number;
  #lastSentAt: number | undefined;
  #packets = 0;

  constructor(options: RtpSendSequencerOptions) {
    const random = options.random ?? Math.random;
    this.#step = options.timestampStep;
    this.#packetMs = options.packetMs;
    this.#gapMs = options.gapMs ?? options.packetMs * 3;
    this.#seq = Math.floor(random() * 0x10000) & 0xffff;
    this.#timestamp = Math.floor(random() * 0x100000000) >>> 0;
  }

  get packets(): number {
    return this.#packets;
  }

  /** Header fields for the next packet sent at `nowMs` (monotonic milliseconds). */
  next(nowMs: number): RtpSendHeader {
    let marker = this.#lastSentAt === undefined;
    if (this.#lastSentAt !== undefined) {
      const elapsed = nowMs - this.#lastSentAt;
      if (elapsed > this.#gapMs) {
        // The packets that were not sent during the pause still count in the timestamp, not in the sequence.
        const skipped = Math.round(elapsed / this.#packetMs) - 1;
        this.#timestamp = (this.#timestamp + skipped * this.#step) >>> 0;
        marker = true;
      }
    }
    const header = { sequenceNumber: this.#seq, timestamp: this.#timestamp, marker };
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + this.#step) >>> 0;
    this.#lastSentAt = nowMs;
    this.#packets += 1;
    return header;
  }
}
