import type { SileroRate } from './silero-model.js';
import type { ThreadPlacementOutcome, VadWorkerPriority } from './vad-worker-placement.js';

/**
 * Messages between the VAD engine (main thread) and its inference worker. The engine sends one `infer` job at a
 * time and waits for its `result` (or `infer-failed`) before sending the next.
 */

/** Passed as `workerData` when the worker starts. */
export interface VadWorkerData {
  readonly modelPath: string;
  /** 0 for the first worker of an engine, incremented on every restart. */
  readonly generation: number;
  /** Applied by the worker to its own thread before it loads the model (see `vad-worker-placement.ts`). */
  readonly placement: {
    /** CPUs to pin the thread to; undefined leaves its affinity alone. */
    readonly cpus: readonly number[] | undefined;
    readonly priority: VadWorkerPriority;
  };
}

/** The model's recurrent state after a long run of digital silence at one rate (`[2, 1, 128]`). */
export interface VadSettledState {
  readonly sampleRate: SileroRate;
  readonly state: Float32Array;
}

/** Windows of one sample rate run as one inference: `count` rows of `input` and of `state`. */
export interface VadBatchRequest {
  readonly sampleRate: SileroRate;
  readonly count: number;
  /** `[count, contextSamples + windowSamples]`, row-major, samples scaled to [-1, 1). */
  readonly input: Float32Array;
  /** `[2, count, 128]`: row `r` of stream `i` at `(r * count + i) * 128`. */
  readonly state: Float32Array;
}

export interface VadBatchResult {
  readonly sampleRate: SileroRate;
  /** One speech probability per row. */
  readonly probabilities: Float32Array;
  /** The next recurrent state, same layout as the request's `state`. */
  readonly state: Float32Array;
}

export interface VadInferRequest {
  readonly type: 'infer';
  readonly jobId: number;
  readonly batches: readonly VadBatchRequest[];
}

/** Finish the job in hand, release the session and exit (code 0). */
export interface VadShutdownRequest {
  readonly type: 'shutdown';
}

export type VadToWorker = VadInferRequest | VadShutdownRequest;

export type VadFromWorker =
  | {
      readonly type: 'ready';
      readonly placement: ThreadPlacementOutcome;
      readonly settledStates: readonly VadSettledState[];
    }
  | { readonly type: 'init-failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly jobId: number;
      readonly batches: readonly VadBatchResult[];
      /** Wall time the worker spent in `session.run` for this job. */
      readonly inferMs: number;
    }
  | { readonly type: 'infer-failed'; readonly jobId: number; readonly message: string };

const FROM_WORKER_TYPES: ReadonlySet<string> = new Set(['ready', 'init-failed', 'result', 'infer-failed']);

/** Narrows a message received from the worker port; anything else is a programming error in the worker. */
export function isVadFromWorker(value: unknown): value is VadFromWorker {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    FROM_WORKER_TYPES.has((value as { type: string }).type)
  );
}

/** Narrows a message received by the worker. */
export function isVadToWorker(value: unknown): value is VadToWorker {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'shutdown' || (type === 'infer' && Array.isArray((value as { batches?: unknown }).batches));
}
