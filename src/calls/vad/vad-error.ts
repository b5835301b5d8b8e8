import { AppError, type ErrorCategory } from '../../errors/index.js';

/** Stable codes of the VAD's failures. */
export const VAD_ERROR_CODES = {
  /** The model file is not where it was expected (package not installed, wrong path). Not retryable. */
  modelMissing: 'VAD_MODEL_MISSING',
  /** onnxruntime could not load the model file (corrupt or not an ONNX model). Not retryable. */
  modelLoadFailed: 'VAD_MODEL_LOAD_FAILED',
  /** The worker thread did not start or did not report ready in time. */
  workerStartFailed: 'VAD_WORKER_START_FAILED',
  /** The worker thread exited unasked or an inference failed; the engine restarts it (reported, not fatal). */
  workerCrashed: 'VAD_WORKER_CRASHED',
  /** The worker kept crashing or failing inference after restarts; the engine stopped and its streams failed. */
  workerFailed: 'VAD_WORKER_FAILED',
  /** The engine was closed while the stream was still open, or a stream was requested from a closed engine. */
  engineClosed: 'VAD_ENGINE_CLOSED',
  /** A stream was asked for a sample rate the model does not run at (resample to 8 or 16 kHz first). */
  unsupportedRate: 'VAD_UNSUPPORTED_RATE',
  /** Options out of range (thresholds, durations, queue sizes). */
  invalidOptions: 'VAD_INVALID_OPTIONS',
} as const;
export type VadErrorCode = (typeof VAD_ERROR_CODES)[keyof typeof VAD_ERROR_CODES];

const CATEGORY: Record<VadErrorCode, ErrorCategory> = {
  VAD_MODEL_MISSING: 'configuration',
  VAD_MODEL_LOAD_FAILED: 'configuration',
  VAD_WORKER_START_FAILED: 'server',
  VAD_WORKER_CRASHED: 'server',
  VAD_WORKER_FAILED: 'server',
  VAD_ENGINE_CLOSED: 'application',
  VAD_UNSUPPORTED_RATE: 'invalid_request',
  VAD_INVALID_OPTIONS: 'invalid_request',
};

/** A failure of the voice-activity detector: engine start, its worker thread, or a stream's options. */
export class VadError extends AppError {
  declare readonly code: VadErrorCode;

  constructor(code: VadErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, {
      code,
      category: CATEGORY[code],
      retryable: code === 'VAD_WORKER_START_FAILED' || code === 'VAD_WORKER_CRASHED' || code === 'VAD_WORKER_FAILED',
      details,
      cause,
    });
  }
}
