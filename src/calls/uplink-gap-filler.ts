import { type AudioFormat, FRAME_MS, frameBytes } from '../audio/format.js';

/** A stretch of time in which the leg delivered no caller audio. */
export interface UplinkGap {
  /** Monotonic ms (the media clock's time base) of the last real frame before the gap, or of the bridge's start. */
  readonly startedAt: number;
  /** From `startedAt` to the first real frame after it (or to the end of the call). */
  readonly durationMs: number;
  /** 20 ms frames of silence it was filled with (a process stall may have skipped a few of them). */
  readonly filledFrames: number;
  /** True when the gap lasted until the call ended (no frame came back). */
  readonly open: boolean;
  /** True for the time before the leg's first frame (call set-up, or media that never started). */
  readonly leading: boolean;
}

/**
 * Every gap is filled, but reported (call event, metrics) only when it lasts this long (ms), also one still open when
 * the call ends (a caller's last frames before a hang-up are often a few hundred ms apart).
 * Before the first frame a short wait is normal set-up (a Stasis leg connects before its channel is bridged); later,
 * a stall of a few hundred ms is jitter of a loaded host or network, and one event per hiccup would flood the
 * records and webhooks. The silence injected into short gaps still counts in `stats.filledFrames`.
 */
export const GAP_REPORT_MS = 1000;

export interface UplinkGapFillerOptions {
  /**
   * Caller silence on the wire longer than this (ms) is a gap and is filled. Real frames arrive in bursts (TCP,
   * Asterisk's scheduling), so it must sit well above the jitter: filling while frames are merely late would double
   * the audio once they arrive.
   */
  readonly afterMs: number;
  /** Injects one frame of silence through the path real caller audio takes. */
  readonly inject: (frame: Buffer, format: AudioFormat) => void;
  /** A gap after real frames began (`leading: false`) is found; leading gaps are not announced. */
  readonly onGapStart?: (startedAt: number) => void;
  readonly onGapEnd?: (gap: UplinkGap) => void;
  /** Most frames injected on one tick (after a stall of the process); the rest of the backlog is skipped. */
  readonly maxFramesPerTick?: number;
  /**
   * Runs `fn` after the event loop has polled I/O once (`setImmediate` by default). Timers run before sockets are
   * read, so after a stall of this process frames may be waiting unread: a gap is confirmed only after that poll.
   */
  readonly afterIo?: (fn: () => void) => void;
}

/** Silence of one 20 ms frame: zero for PCM, the codes of zero amplitude for G.711. */
function silenceFrame(format: AudioFormat): Buffer {
  const fill = format.encoding === 'ulaw' ? 0xff : format.encoding === 'alaw' ? 0xd5 : 0;
  return Buffer.alloc(frameBytes(format), fill);
}

/**
 * Keeps the caller's uplink in time while the leg sends nothing (silence suppression, a mute, a media hiccup, a
 * phone whose media never started). Driven by the media clock: once no real frame has arrived for more than
 * `afterMs`, every tick injects the silence frames owed since the last real frame (one per 20 ms of wall time), so
 * speech detection, a Realtime server's turn detection and recordings see the silence the caller made. The moment a
 * real frame arrives the gap ends and nothing more is injected; frames late by less than `afterMs` never cause
 * injection, nor do frames left unread by a stall of this process (a gap is confirmed after an I/O poll).
 */
export class UplinkGapFiller {
  readonly #o: UplinkGapFillerOptions;
  readonly #maxPerTick: number;
  /** Time of the last real frame (or of `start`). */
  #lastFrameAt: number | undefined;
  /** Frames injected since `#lastFrameAt`; non-zero means a gap is open. */
  #filled = 0;
  #gapOpen = false;
  #sawFrame = false;
  /** A gap is suspected and waits for the I/O poll (`afterIo`) before it is filled. */
  #confirming = false;
  #closed = false;
  readonly #afterIo: (fn: () => void) => void;
  /** Totals over the call: gaps reported, silence frames injected (into reported and unreported gaps). */
  readonly stats = { gaps: 0, filledFrames: 0 };

  constructor(options: UplinkGapFillerOptions) {
    this.#o = options;
    this.#maxPerTick = options.maxFramesPerTick ?? 5;
    this.#afterIo = options.afterIo ?? ((fn) => setImmediate(fn));
  }

  /** True while a gap is being filled. */
  get inGap(): boolean {
    return this.#gapOpen;
  }

  /** Milliseconds since the last real frame (or `start`) at `now`; 0 before `start`. */
  silentMs(now: number): number {
    return this.#lastFrameAt === undefined ? 0 : Math.max(0, now - this.#lastFrameAt);
  }

  /** Starts the count at `now`: a leg that never sends is a gap from the start. */
  start(now: number): void {
    this.#lastFrameAt ??= now;
  }

  /** A real caller frame arrived at `now`: any open gap ends. */
  frameArrived(now: number): void {
    this.#closeGap(now, false);
    this.#sawFrame = true;
    this.#lastFrameAt = now;
    this.#filled = 0;
  }

  /** One media-clock tick at `now`; injects what the gap owes in `format`. */
  tick(now: number, format: AudioFormat): void {
    const last = this.#lastFrameAt;
    if (last === undefined) return;
    const silent = now - last;
    if (silent <= this.#o.afterMs) return;
    if (!this.#gapOpen) {
      if (this.#confirming) return;
      this.#confirming = true;
      this.#afterIo(() => {
        this.#confirming = false;
        // A frame read in the meantime proves there was no gap; else the gap opens and its frames are owed.
        if (this.#lastFrameAt !== last || this.#closed) return;
        this.#gapOpen = true;
        if (this.#sawFrame) this.#o.onGapStart?.(last);
        this.#fill(now, format);
      });
      return;
    }
    this.#fill(now, format);
  }

  #fill(now: number, format: AudioFormat): void {
    const last = this.#lastFrameAt;
    if (last === undefined) return;
    const silent = now - last;
    const owed = Math.floor(silent / FRAME_MS) - this.#filled;
    if (owed <= 0) return;
    // After a stall, skip what exceeds one tick's budget rather than sending a burst.
    const count = Math.min(owed, this.#maxPerTick);
    this.#filled += owed;
    const frame = silenceFrame(format);
    for (let i = 0; i < count; i++) {
      this.stats.filledFrames += 1;
      this.#o.inject(frame, format);
    }
  }

  /** The call ends at `now`: an open gap is reported as open. */
  // Stays synchronous and takes `now`: the media bridge ends gap accounting at that instant inside its own close().
  close(now: number): void {
    this.#closed = true;
    this.#closeGap(now, true);
  }

  #closeGap(now: number, open: boolean): void {
    if (!this.#gapOpen || this.#lastFrameAt === undefined) return;
    this.#gapOpen = false;
    const gap: UplinkGap = {
      startedAt: this.#lastFrameAt,
      durationMs: Math.max(0, now - this.#lastFrameAt),
      filledFrames: this.#filled,
      open,
      leading: !this.#sawFrame,
    };
    if (gap.durationMs < GAP_REPORT_MS) return;
    this.stats.gaps += 1;
    this.#o.onGapEnd?.(gap);
  }
}
