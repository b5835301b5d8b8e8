/**
 * The uplink jitter buffer of one RTP stream: packets come out in sequence order. In-order packets pass straight
 * through (no added delay); after a hole, later packets are held for the missing one until `depthMs` have passed
 * since the last frame came out, so the stream never stalls longer than the depth. When it does not come in time
 * (or more than the depth is held), it is counted lost and, for holes up to the depth,
 * concealed with a frame of silence, so the caller's audio keeps its length. Longer holes are an outage on the
 * wire: counted, not concealed (the media bridge fills wall-clock gaps itself). Late and duplicate packets are
 * dropped and counted. A new SSRC, or a sequence jump too large to be loss, starts a new stream after what is
 * held has been released in order: no audio is lost or doubled by a re-INVITE or a transcoder in the path.
 * Pure: the caller supplies the time (`nowMs`) and polls on its clock.
 */
import { sequenceDelta } from './rtp-packet.js';

export interface JitterBufferOptions {
  /** Longest wait for a missing packet, in ms. */
  readonly depthMs: number;
  /** Duration of one packet, in ms. Default 20. */
  readonly packetMs?: number;
  /** A frame of silence in the payload's encoding (one packet's worth), used to conceal a lost packet. */
  readonly silence: Buffer;
}

export interface JitterPacket {
  readonly sequence: number;
  readonly ssrc: number;
  readonly payload: Buffer;
}

export interface ReleasedFrame {
  readonly payload: Buffer;
  /** True for silence standing in for a lost packet. */
  readonly concealed: boolean;
}

export interface JitterBufferStats {
  received: number;
  released: number;
  /** Packets that never arrived in time (concealed or not). */
  lost: number;
  /** Silence frames released in place of lost packets. */
  concealed: number;
  late: number;
  duplicates: number;
  /** New streams started: SSRC changes and sequence jumps. */
  resyncs: number;
  ssrcChanges: number;
}

/** A forward jump larger than this many packets is a new stream, not loss. */
const MAX_LOSS_JUMP = 50;
/** A packet up to this many behind is late; further back, the sender restarted its sequence. */
const LATE_WINDOW = 100;

export class RtpJitterBuffer {
  readonly stats: JitterBufferStats = {
    received: 0,
    released: 0,
    lost: 0,
    concealed: 0,
    late: 0,
    duplicates: 0,
    resyncs: 0,
    ssrcChanges: 0,
  };
  readonly #depthMs: number;
  readonly #holdPackets: number;
  readonly #silence: Buffer;
  readonly #held = new Map<number, { payload: Buffer; at: number }>();
  #ssrc: number | undefined;
  /** Sequence number expected next, once the stream has started. */
  #next: number | undefined;
  /** When a frame last came out (undefined before the first). */
  #lastOut: number | undefined;
  /** Sequence numbers released lately (a copy of one is a duplicate; a packet given up on that comes is late). */
  readonly #recent = new Set<number>();
  readonly #recentOrder: number[] = [];

  constructor(options: JitterBufferOptions) {
    this.#depthMs = Math.max(0, options.depthMs);
    this.#holdPackets = Math.max(0, Math.round(this.#depthMs / (options.packetMs ?? 20)));
    this.#silence = options.silence;
  }

  /** Packets held waiting for a missing one. Never more than the depth in packets plus one. */
  get heldCount(): number {
    return this.#held.size;
  }

  /** Most packets ever held at once (the bound). */
  get capacity(): number {
    return this.#holdPackets + 1;
  }

  /** Takes one packet; returns the frames now ready, in order. */
  push(p: JitterPacket, nowMs: number): ReleasedFrame[] {
    this.stats.received += 1;
    const out: ReleasedFrame[] = [];
    if (this.#ssrc !== undefined && p.ssrc !== this.#ssrc) {
      this.stats.ssrcChanges += 1;
      this.#restart(out, nowMs);
    }
    this.#ssrc = p.ssrc;
    if (this.#next === undefined) this.#next = p.sequence;
    const d = sequenceDelta(p.sequence, this.#next);
    if (d < -LATE_WINDOW || d > MAX_LOSS_JUMP) {
      this.#restart(out, nowMs);
      this.#next = p.sequence;
    } else if (d < 0) {
      if (this.#recent.has(p.sequence)) this.stats.duplicates += 1;
      else this.stats.late += 1;
      return out;
    } else if (this.#held.has(p.sequence)) {
      this.stats.duplicates += 1;
      return out;
    }
    this.#held.set(p.sequence, { payload: p.payload, at: nowMs });
    this.#drain(nowMs, out);
    return out;
  }

  /** Releases what waited long enough for a missing packet (call on every clock tick). */
  poll(nowMs: number): ReleasedFrame[] {
    const out: ReleasedFrame[] = [];
    this.#drain(nowMs, out);
    return out;
  }

  /** Releases everything held, in order, without concealment (end of the stream). */
  flush(): ReleasedFrame[] {
    const out: ReleasedFrame[] = [];
    const resyncs = this.stats.resyncs;
    this.#restart(out, this.#lastOut ?? 0);
    this.stats.resyncs = resyncs;
    return out;
  }

  #drain(nowMs: number, out: ReleasedFrame[]): void {
    while (this.#next !== undefined && this.#held.size > 0) {
      const head = this.#held.get(this.#next);
      if (head) {
        this.#held.delete(this.#next);
        this.#release(head.payload, out, nowMs);
        this.#remember(this.#next);
        this.#next = (this.#next + 1) & 0xffff;
        continue;
      }
      const since = this.#lastOut ?? this.#oldestArrival();
      if (this.#held.size <= this.#holdPackets && nowMs - since < this.#depthMs) return;
      // The missing packet is given up: skip to the next one held, concealing short holes.
      const hole = this.#holeLength();
      this.stats.lost += hole;
      if (hole <= Math.max(1, this.#holdPackets)) {
        for (let i = 0; i < hole; i++) {
          out.push({ payload: this.#silence, concealed: true });
          this.stats.concealed += 1;
          this.#lastOut = nowMs;
        }
      }
      this.#next = (this.#next + hole) & 0xffff;
    }
  }

  /** Packets missing before the first one held. */
  #holeLength(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const seq of this.#held.keys()) min = Math.min(min, sequenceDelta(seq, this.#next ?? seq));
    return Number.isFinite(min) && min > 0 ? min : 0;
  }

  #oldestArrival(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const h of this.#held.values()) oldest = Math.min(oldest, h.at);
    return oldest;
  }

  /** Releases what is held in sequence order (no concealment) and forgets the stream position. */
  #restart(out: ReleasedFrame[], nowMs: number): void {
    if (this.#next !== undefined || this.#held.size > 0) this.stats.resyncs += 1;
    const base = this.#next;
    const ordered = [...this.#held.entries()].sort(([a], [b]) =>
      base === undefined ? a - b : sequenceDelta(a, base) - sequenceDelta(b, base),
    );
    this.#held.clear();
    for (const [, h] of ordered) this.#release(h.payload, out, nowMs);
    this.#next = undefined;
    this.#recent.clear();
    this.#recentOrder.length = 0;
  }

  #remember(sequence: number): void {
    this.#recent.add(sequence);
    this.#recentOrder.push(sequence);
    if (this.#recentOrder.length > LATE_WINDOW) this.#recent.delete(this.#recentOrder.shift()!);
  }

  #release(payload: Buffer, out: ReleasedFrame[], nowMs: number): void {
    out.push({ payload, concealed: false });
    this.stats.released += 1;
    this.#lastOut = nowMs;
  }
}
