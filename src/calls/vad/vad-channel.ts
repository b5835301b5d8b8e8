import { SILERO_STATE_SIZE, SILERO_STATE_UNITS, type SileroRate } from './silero-model.js';
import type { VadError } from './vad-error.js';

/** What a stream hears back from the engine, always in window order. */
export interface VadWindowListener {
  /** The speech probability of the next window. */
  onProbability(probability: number): void;
  /** The next window was dropped by the engine's overflow policy and has no probability. */
  onDropped(): void;
  /** The next window was skipped by the stream's energy gate (too quiet to hold speech): probability 0. */
  onSkipped(): void;
  /** The engine can no longer score this stream's windows (worker failed, engine closed). Called at most once. */
  onError(error: VadError): void;
}

/** The engine's side of a channel: told when windows arrive and when the channel closes. */
export interface VadChannelOwner {
  windowQueued(channel: VadChannel): void;
  windowSkipped(channel: VadChannel): void;
  /** The model's state after settled silence at `rate` (`[2, 1, 128]`), once known. */
  settledState(rate: SileroRate): Float32Array | undefined;
  channelClosed(channel: VadChannel): void;
  listenerThrew(channel: VadChannel, error: unknown): void;
}

/**
 * Skipped windows in a row (256 ms) after which the model's state is taken as settled silence. A shorter run keeps
 * the state it had: that state already followed the quiet windows of the gate's hangover, and a low noise floor
 * the gate skipped settles the model elsewhere than digital silence.
 */
const SETTLE_AFTER_SKIPS = 8;

/** What became of a window: its probability, `null` when dropped, `'skipped'` when the energy gate skipped it. */
type Outcome = number | null | 'skipped';

interface PendingWindow {
  readonly seq: number;
  readonly input: Float32Array;
  /** The first window after a long run of skipped ones: it runs from the settled-silence state. */
  readonly afterSkip: boolean;
}

/**
 * One stream's slot in the VAD engine: its recurrent state (kept here, sent with each window, replaced by the
 * model's next state), its queue of windows waiting for a batch, the one window in flight, and in-order delivery
 * of results (a drop can be decided while an earlier window is still in flight; it is reported after that
 * window's probability).
 */
export class VadChannel {
  readonly id: number;
  readonly sampleRate: SileroRate;
  /** Rows `[h, c]` of this stream's recurrent state, 2 × 128 floats. */
  readonly state = new Float32Array(SILERO_STATE_SIZE);
  readonly #owner: VadChannelOwner;
  readonly #listener: VadWindowListener;
  readonly #pending: PendingWindow[] = [];
  #inFlight: PendingWindow | undefined;
  #nextSeq = 0;
  #nextDelivery = 0;
  /** Windows skipped since the last one submitted. */
  #skipped = 0;
  /** Outcomes that arrived before an earlier window's: seq → probability, null for a drop, or a skip. */
  readonly #early = new Map<number, Outcome>();
  #closed = false;

  constructor(id: number, sampleRate: SileroRate, listener: VadWindowListener, owner: VadChannelOwner) {
    this.id = id;
    this.sampleRate = sampleRate;
    this.#listener = listener;
    this.#owner = owner;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  get inFlight(): boolean {
    return this.#inFlight !== undefined;
  }

  /** Queues one window (`contextSamples + windowSamples` floats). Ignored once closed. */
  submit(input: Float32Array): void {
    if (this.#closed) return;
    this.#pending.push({ seq: this.#nextSeq++, input, afterSkip: this.#skipped >= SETTLE_AFTER_SKIPS });
    this.#skipped = 0;
    this.#owner.windowQueued(this);
  }

  /**
   * Takes the next window's place without sending it to the model (the stream's energy gate found it too quiet to
   * hold speech); it is reported as skipped in window order, after the windows before it. Ignored once closed.
   * After `SETTLE_AFTER_SKIPS` or more skipped windows in a row, the next window submitted runs from the state the
   * model reaches in settled silence, as it would have, had it seen them; after fewer, from the state it had.
   */
  skip(): void {
    if (this.#closed) return;
    this.#skipped += 1;
    this.#owner.windowSkipped(this);
    this.#deliver(this.#nextSeq++, 'skipped');
  }

  /**
   * Stops the channel: queued windows are discarded and later results are not delivered. Idempotent; resolves at
   * once (a job in flight is the engine's).
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#owner.channelClosed(this);
    this.#pending.length = 0;
    this.#inFlight = undefined;
    this.#early.clear();
    return Promise.resolve();
  }

  /** Discards the oldest queued window and reports it as dropped (in order). False when nothing is queued. */
  dropOldest(): boolean {
    const dropped = this.#pending.shift();
    if (!dropped) return false;
    this.#deliver(dropped.seq, null);
    return true;
  }

  /** Moves the oldest queued window in flight and returns its input. */
  takeNext(): Float32Array {
    const next = this.#pending.shift();
    if (!next || this.#inFlight) throw new Error(`VAD channel ${this.id}: nothing to take or a window in flight`);
    this.#inFlight = next;
    return next.input;
  }

  /**
   * Copies the in-flight window's starting state into row `index` of a `[2, count, 128]` batch state: this stream's
   * state, or the settled-silence state for the first window after skipped ones.
   */
  writeState(batchState: Float32Array, index: number, count: number): void {
    const from = (this.#inFlight?.afterSkip && this.#owner.settledState(this.sampleRate)) || this.state;
    batchState.set(from.subarray(0, SILERO_STATE_UNITS), index * SILERO_STATE_UNITS);
    batchState.set(from.subarray(SILERO_STATE_UNITS), (count + index) * SILERO_STATE_UNITS);
  }

  /** The in-flight window was scored: keep the next state from row `index` and deliver the probability. */
  complete(probability: number, batchState: Float32Array, index: number, count: number): void {
    const done = this.#inFlight;
    if (this.#closed || !done) return;
    this.#inFlight = undefined;
    const u = SILERO_STATE_UNITS;
    this.state.set(batchState.subarray(index * u, (index + 1) * u), 0);
    this.state.set(batchState.subarray((count + index) * u, (count + index + 1) * u), u);
    this.#deliver(done.seq, probability);
  }

  /** The in-flight window was lost with its worker: put it back at the head of the queue (state unchanged). */
  requeueInFlight(): boolean {
    const w = this.#inFlight;
    if (this.#closed || !w) return false;
    this.#inFlight = undefined;
    this.#pending.unshift(w);
    return true;
  }

  /** Reports a terminal error to the listener and closes the channel. */
  fail(error: VadError): void {
    if (this.#closed) return;
    void this.close().catch(() => undefined);
    try {
      this.#listener.onError(error);
    } catch (err) {
      this.#owner.listenerThrew(this, err);
    }
  }

  #deliver(seq: number, outcome: Outcome): void {
    if (seq !== this.#nextDelivery) {
      this.#early.set(seq, outcome);
      return;
    }
    let next: Outcome | undefined = outcome;
    while (next !== undefined && !this.#closed) {
      this.#nextDelivery += 1;
      try {
        if (next === null) this.#listener.onDropped();
        else if (next === 'skipped') this.#listener.onSkipped();
        else this.#listener.onProbability(next);
      } catch (err) {
        this.#owner.listenerThrew(this, err);
      }
      next = this.#early.get(this.#nextDelivery);
      this.#early.delete(this.#nextDelivery);
    }
  }
}
