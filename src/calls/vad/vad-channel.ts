import { SILERO_STATE_SIZE, SILERO_STATE_UNITS, type SileroRate } from './silero-model.js';
import type { VadError } from './vad-error.js';

/** What a stream hears back from the engine, always in window order. */
export interface VadWindowListener {
  /** The speech probability of the next window. */
  onProbability(probability: number): void;
  /** The next window was dropped by the engine's overflow policy and has no probability. */
  onDropped(): void;
  /** The engine can no longer score this stream's windows (worker failed, engine closed). Called at most once. */
  onError(error: VadError): void;
}

/** The engine's side of a channel: told when windows arrive and when the channel closes. */
export interface VadChannelOwner {
  windowQueued(channel: VadChannel): void;
  channelClosed(channel: VadChannel): void;
  listenerThrew(channel: VadChannel, error: unknown): void;
}

interface PendingWindow {
  readonly seq: number;
  readonly input: Float32Array;
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
  /** Outcomes that arrived before an earlier window's: seq → probability, or null for a drop. */
  readonly #early = new Map<number, number | null>();
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
    this.#pending.push({ seq: this.#nextSeq++, input });
    this.#owner.windowQueued(this);
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

  /** Copies this stream's state into row `index` of a `[2, count, 128]` batch state. */
  writeState(batchState: Float32Array, index: number, count: number): void {
    batchState.set(this.state.subarray(0, SILERO_STATE_UNITS), index * SILERO_STATE_UNITS);
    batchState.set(this.state.subarray(SILERO_STATE_UNITS), (count + index) * SILERO_STATE_UNITS);
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

  #deliver(seq: number, outcome: number | null): void {
    if (seq !== this.#nextDelivery) {
      this.#early.set(seq, outcome);
      return;
    }
    let next: number | null | undefined = outcome;
    while (next !== undefined && !this.#closed) {
      this.#nextDelivery += 1;
      try {
        if (next === null) this.#listener.onDropped();
        else this.#listener.onProbability(next);
      } catch (err) {
        this.#owner.listenerThrew(this, err);
      }
      next = this.#early.get(this.#nextDelivery);
      this.#early.delete(this.#nextDelivery);
    }
  }
}
