// Over 400 lines: the playout accounting (utterances, marks, played ms, re-formatting) must stay one consistent state.
import { TypedEmitter } from '../lib/typed-emitter.js';
import { convertPieces } from './convert-pieces.js';
import { silenceByte } from './silence.js';
import { type AudioFormat, bytesForMs, bytesPerSample, formatsEqual, frameBytes, msForBytes } from './format.js';

/** One 20 ms frame leaving the buffer for the caller. */
export interface PlayoutFrame {
  readonly data: Buffer;
  /** Utterance the frame's first agent byte belongs to; undefined for pure silence. */
  readonly utteranceId: string | undefined;
  /** True when the frame holds no agent audio at all. */
  readonly silence: boolean;
}

/** How much of one utterance reached the caller. */
export interface UtteranceProgress {
  readonly utteranceId: string;
  /** Milliseconds of the utterance actually taken (sent towards the caller). */
  readonly playedMs: number;
  /** Milliseconds dropped by clear() or overflow. */
  readonly droppedMs: number;
  readonly protected: boolean;
}

export interface ClearResult {
  readonly droppedMs: number;
  readonly utterances: UtteranceProgress[];
  /** Marks that had not been reached; they will not fire. */
  readonly marks: string[];
}

export interface PlayoutBufferEvents {
  [key: string]: unknown[];
  /** All audio queued before the mark has been taken. */
  mark: [name: string];
  utteranceStart: [utteranceId: string];
  /** The utterance was closed (endUtterance or a later utterance) and all of it was taken or dropped. */
  utteranceEnd: [progress: UtteranceProgress];
  /** Audio refused because the buffer was full (the newest audio is the one dropped). */
  overflow: [droppedBytes: number];
  /** The frame just taken emptied the buffer: everything queued so far has been played. */
  drained: [];
}

export interface PlayoutBufferOptions {
  format: AudioFormat;
  /** Capacity in milliseconds. */
  maxMs: number;
}

interface AudioEntry {
  kind: 'audio';
  id: string;
  data: Buffer;
  offset: number;
}
interface MarkEntry {
  kind: 'mark';
  name: string;
}
type Entry = AudioEntry | MarkEntry;

interface UtteranceState {
  id: string;
  protected: boolean;
  queuedBytes: number;
  playedBytes: number;
  droppedBytes: number;
  started: boolean;
  closed: boolean;
}

/** Finished utterances remembered for `playedMs()` lookups; older ones are forgotten first. */
const HISTORY_LIMIT = 64;

/**
 * Agent audio waiting to be played to one caller. The media clock takes exactly one 20 ms frame per tick, so what
 * has been taken is what the caller has been sent at real time: per-utterance `playedMs` is the figure barge-in
 * truncation and mark acknowledgements use.
 *
 * Bounded by `maxMs`. Overflow policy: audio that does not fit is dropped from the end of the pushed chunk (the
 * newest audio), counted per utterance and reported with an `overflow` event; what is already queued keeps playing.
 *
 * A partial frame at the tail waits one tick for more audio, then plays padded with silence.
 */
export class PlayoutBuffer extends TypedEmitter<PlayoutBufferEvents> {
  #format: AudioFormat;
  #frameBytes: number;
  #maxBytes: number;
  readonly #maxMs: number;
  #entries: Entry[] = [];
  #head = 0;
  #queuedBytes = 0;
  #utterances = new Map<string, UtteranceState>();
  #history = new Map<string, UtteranceProgress>();
  #lastTakenId: string | undefined;
  #partialWaited = false;
  #silence: { format: AudioFormat; frame: PlayoutFrame } | undefined;
  #autoId = 0;
  #openId: string | undefined;
  /** Counters for metrics. */
  readonly stats = { framesTaken: 0, underruns: 0, overflowBytes: 0, clears: 0 };

  constructor(options: PlayoutBufferOptions) {
    super();
    this.#maxMs = options.maxMs;
    this.#format = options.format;
    this.#frameBytes = frameBytes(options.format);
    this.#maxBytes = capacityBytes(options.format, options.maxMs);
  }

  /** Format of the audio queued and of the frames taken (the leg's format). */
  get format(): AudioFormat {
    return this.#format;
  }

  /** Bytes of one 20 ms frame in `format`. */
  get frameBytes(): number {
    return this.#frameBytes;
  }

  /** Capacity in bytes of `format`. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  get bufferedMs(): number {
    return msForBytes(this.#format, this.#queuedBytes);
  }

  /**
   * Queues agent audio. Without an utterance id, the audio continues the open utterance (or starts an automatic
   * one). Pushing a different id closes the previously open utterance.
   */
  push(
    data: Buffer,
    utteranceId?: string,
    options: { protected?: boolean } = {},
  ): { acceptedBytes: number; droppedBytes: number } {
    const id = utteranceId ?? this.#openId ?? `auto-${++this.#autoId}`;
    if (this.#openId !== undefined && this.#openId !== id) this.endUtterance(this.#openId);
    let state = this.#utterances.get(id);
    if (!state || state.closed) {
      if (state?.closed) this.#history.delete(id);
      state = {
        id,
        protected: options.protected ?? false,
        queuedBytes: 0,
        playedBytes: 0,
        droppedBytes: 0,
        started: false,
        closed: false,
      };
      this.#utterances.set(id, state);
    }
    this.#openId = id;
    const sample = bytesPerSample(this.#format.encoding);
    const usable = data.length - (data.length % sample);
    const room = this.#maxBytes - this.#queuedBytes;
    const accepted = Math.max(0, Math.min(usable, room));
    const dropped = data.length - accepted;
    if (accepted > 0) {
      this.#entries.push({ kind: 'audio', id, data: data.subarray(0, accepted), offset: 0 });
      this.#queuedBytes += accepted;
      state.queuedBytes += accepted;
    }
    if (dropped > 0) {
      state.droppedBytes += dropped;
      this.stats.overflowBytes += dropped;
      this.emit('overflow', dropped);
    }
    return { acceptedBytes: accepted, droppedBytes: dropped };
  }

  /** Closes an utterance: `utteranceEnd` fires once all of it has been taken. */
  endUtterance(utteranceId: string): void {
    const state = this.#utterances.get(utteranceId);
    if (this.#openId === utteranceId) this.#openId = undefined;
    if (!state || state.closed) return;
    state.closed = true;
    this.#maybeFinish(state);
  }

  /** Queues a mark that fires once every byte queued before it has been taken. */
  mark(name: string): void {
    this.#entries.push({ kind: 'mark', name });
  }

  /**
   * Takes exactly one frame, or returns undefined when there is nothing to play this tick. The frame's buffer is
   * the receiver's to keep (it comes from Node's shared allocation pool, never from this buffer's queue), read-only.
   */
  take(): PlayoutFrame | undefined {
    // Marks reached and utterances touched by this take; allocated only when there are any (most frames have none).
    let fired: string[] | undefined;
    // Marks at the head have nothing before them: they fire now.
    fired = this.#drainHeadMarks(fired);
    if (this.#queuedBytes === 0) {
      if (this.#openId !== undefined) this.stats.underruns += 1;
      this.#fire(fired);
      return undefined;
    }
    if (this.#queuedBytes < this.#frameBytes && !this.#partialWaited) {
      this.#partialWaited = true;
      this.#fire(fired);
      return undefined;
    }
    this.#partialWaited = false;
    const out = Buffer.allocUnsafe(this.#frameBytes);
    let filled = 0;
    let firstId: string | undefined;
    let touched: UtteranceState | undefined;
    let moreTouched: Set<UtteranceState> | undefined;
    while (filled < this.#frameBytes && this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.kind === 'mark') {
        fired = pushName(fired, entry.name);
        this.#head += 1;
        continue;
      }
      const n = Math.min(this.#frameBytes - filled, entry.data.length - entry.offset);
      entry.data.copy(out, filled, entry.offset, entry.offset + n);
      entry.offset += n;
      filled += n;
      this.#queuedBytes -= n;
      const state = this.#utterances.get(entry.id);
      if (state) {
        state.queuedBytes -= n;
        state.playedBytes += n;
        if (!state.started) {
          state.started = true;
          this.emit('utteranceStart', state.id);
        }
        if (touched === undefined) touched = state;
        else if (touched !== state) {
          moreTouched ??= new Set();
          moreTouched.add(state);
        }
      }
      firstId ??= entry.id;
      this.#lastTakenId = entry.id;
      if (entry.offset >= entry.data.length) this.#head += 1;
    }
    // A partial frame at the end of the audio plays padded with the encoding's silence (0x00 is loud in G.711).
    if (filled < this.#frameBytes) out.fill(silenceByte(this.#format), filled);
    // Marks right after the last byte taken are reached too.
    fired = this.#drainHeadMarks(fired);
    this.#compact();
    this.stats.framesTaken += 1;
    if (touched) this.#maybeFinish(touched);
    if (moreTouched) for (const state of moreTouched) this.#maybeFinish(state);
    this.#fire(fired);
    if (this.#queuedBytes === 0) this.emit('drained');
    return { data: out, utteranceId: firstId, silence: false };
  }

  /**
   * Like take(), but returns a silence frame when there is nothing to play. Silence frames share one buffer of this
   * playout buffer's format: read-only, like every frame taken.
   */
  takeOrSilence(): PlayoutFrame {
    return this.take() ?? this.#silenceFrame();
  }

  /** The shared silence frame of the current format (made again after `reformat`). */
  #silenceFrame(): PlayoutFrame {
    const cached = this.#silence;
    if (cached && formatsEqual(cached.format, this.#format)) return cached.frame;
    const frame = {
      data: Buffer.alloc(this.#frameBytes, silenceByte(this.#format)),
      utteranceId: undefined,
      silence: true,
    };
    this.#silence = { format: this.#format, frame };
    return frame;
  }

  /**
   * Drops queued audio (barge-in). With `keepProtected`, protected utterances stay queued. Unreached marks are
   * removed and returned. Every affected utterance counts as ended.
   */
  clear(options: { keepProtected?: boolean } = {}): ClearResult {
    this.stats.clears += 1;
    const marks: string[] = [];
    const kept: Entry[] = [];
    const affected = new Map<string, UtteranceState>();
    let droppedBytes = 0;
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      if (entry.kind === 'mark') {
        marks.push(entry.name);
        continue;
      }
      const state = this.#utterances.get(entry.id);
      if (options.keepProtected && state?.protected) {
        kept.push(entry);
        continue;
      }
      const n = entry.data.length - entry.offset;
      droppedBytes += n;
      this.#queuedBytes -= n;
      if (state) {
        state.queuedBytes -= n;
        state.droppedBytes += n;
        affected.set(state.id, state);
      }
    }
    // The utterance that was playing is interrupted even if none of it was still queued.
    const playing = this.#lastTakenId !== undefined ? this.#utterances.get(this.#lastTakenId) : undefined;
    if (playing && !(options.keepProtected && playing.protected)) affected.set(playing.id, playing);
    const openState = this.#openId !== undefined ? this.#utterances.get(this.#openId) : undefined;
    if (openState && !(options.keepProtected && openState.protected)) affected.set(openState.id, openState);
    this.#entries = kept;
    this.#head = 0;
    this.#partialWaited = false;
    const utterances: UtteranceProgress[] = [];
    for (const state of affected.values()) {
      if (this.#openId === state.id) this.#openId = undefined;
      state.closed = true;
      const progress = this.#progress(state);
      utterances.push(progress);
      this.#utterances.delete(state.id);
      this.#remember(progress);
    }
    return { droppedMs: msForBytes(this.#format, droppedBytes), utterances, marks };
  }

  /**
   * Moves the buffer to another format (the leg's rate became known, or changed mid-call) keeping everything that is
   * queued: the unplayed audio is converted as one continuous stream by `convert` (which must return the whole
   * converted stream, the resampler's tail included) and cut again at the same points in time, so every mark and
   * utterance boundary stays behind exactly the audio it followed. Per-utterance accounting (played, dropped,
   * queued) carries over in milliseconds; no mark fires.
   */
  reformat(format: AudioFormat, convert: (data: Buffer) => Buffer): void {
    if (formatsEqual(format, this.#format)) return;
    const old = this.#format;
    const live = this.#entries.slice(this.#head);
    const audio = live.flatMap((e) => (e.kind === 'audio' ? [e] : []));
    const pieces = convertPieces(
      audio.map((e) => e.data.subarray(e.offset)),
      convert,
      bytesPerSample(format.encoding),
    );
    for (const state of this.#utterances.values()) {
      state.queuedBytes = 0;
      state.playedBytes = bytesForMs(format, msForBytes(old, state.playedBytes));
      state.droppedBytes = bytesForMs(format, msForBytes(old, state.droppedBytes));
    }
    const entries: Entry[] = [];
    let queued = 0;
    let next = 0;
    for (const entry of live) {
      if (entry.kind === 'mark') {
        entries.push(entry);
        continue;
      }
      const data = pieces[next++]!;
      if (data.length > 0) entries.push({ kind: 'audio', id: entry.id, data, offset: 0 });
      const state = this.#utterances.get(entry.id);
      if (state) state.queuedBytes += data.length;
      queued += data.length;
    }
    this.#entries = entries;
    this.#head = 0;
    this.#queuedBytes = queued;
    this.#partialWaited = false;
    this.#format = format;
    this.#frameBytes = frameBytes(format);
    this.#maxBytes = capacityBytes(format, this.#maxMs);
    // An utterance whose last queued bytes rounded away (under one sample) has nothing left to play.
    for (const state of [...this.#utterances.values()]) if (state.started) this.#maybeFinish(state);
  }

  /** Milliseconds of an utterance taken so far (also after it finished, for recent utterances). */
  playedMs(utteranceId: string): number {
    const state = this.#utterances.get(utteranceId);
    if (state) return msForBytes(this.#format, state.playedBytes);
    return this.#history.get(utteranceId)?.playedMs ?? 0;
  }

  /** The utterance whose audio was taken last, while it is unfinished (audio still queued, or still open). */
  current(): { utteranceId: string; protected: boolean } | undefined {
    if (this.#lastTakenId === undefined) return undefined;
    const state = this.#utterances.get(this.#lastTakenId);
    return state ? { utteranceId: state.id, protected: state.protected } : undefined;
  }

  /** True while any agent audio is queued. */
  get playing(): boolean {
    return this.#queuedBytes > 0;
  }

  #drainHeadMarks(fired: string[] | undefined): string[] | undefined {
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.kind !== 'mark') break;
      fired = pushName(fired, entry.name);
      this.#head += 1;
    }
    return fired;
  }

  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    } else if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    }
  }

  #fire(marks: string[] | undefined): void {
    if (marks) for (const name of marks) this.emit('mark', name);
  }

  #progress(state: UtteranceState): UtteranceProgress {
    return {
      utteranceId: state.id,
      playedMs: msForBytes(this.#format, state.playedBytes),
      droppedMs: msForBytes(this.#format, state.droppedBytes),
      protected: state.protected,
    };
  }

  #remember(progress: UtteranceProgress): void {
    this.#history.set(progress.utteranceId, progress);
    if (this.#history.size > HISTORY_LIMIT) {
      const oldest = this.#history.keys().next().value;
      if (oldest !== undefined) this.#history.delete(oldest);
    }
  }

  #maybeFinish(state: UtteranceState): void {
    if (!state.closed || state.queuedBytes > 0) return;
    this.#utterances.delete(state.id);
    const progress = this.#progress(state);
    this.#remember(progress);
    if (state.started || state.droppedBytes > 0) this.emit('utteranceEnd', progress);
  }
}

/** Appends to a list made on first use. */
function pushName(list: string[] | undefined, name: string): string[] {
  const out = list ?? [];
  out.push(name);
  return out;
}

/** Capacity in whole frames of `format` (at least one frame). */
function capacityBytes(format: AudioFormat, maxMs: number): number {
  const frame = frameBytes(format);
  const raw = Math.floor((maxMs / 1000) * format.sampleRate) * bytesPerSample(format.encoding);
  return Math.max(frame, raw - (raw % frame));
}
