import { AppError, type ErrorCategory } from '../errors/app-error.js';

/** Why a call-control command did not produce a result. */
export const CONTROL_ERROR_CODES = {
  /** No call with this id is known (never existed, or no longer in Redis nor MySQL). */
  CALL_NOT_FOUND: { category: 'not_found', retryable: false },
  /** The call has ended; commands to it are refused. */
  CALL_ENDED: { category: 'conflict', retryable: false },
  /** The instance that owns the call is gone (crashed or shut down) before the command could run. */
  OWNER_GONE: { category: 'connectivity', retryable: false },
  /** No result within the deadline. `details.executed` says whether the command may have run. */
  CONTROL_TIMEOUT: { category: 'timeout', retryable: true },
  /** Redis could not be reached, so the command was not queued. */
  CONTROL_UNAVAILABLE: { category: 'connectivity', retryable: true },
  /** The command reached the owner but failed there (see `details.remote`). */
  CONTROL_FAILED: { category: 'application', retryable: false },
  /** The command was invalid. */
  CONTROL_INVALID: { category: 'invalid_request', retryable: false },
  /** The client was closed, or the caller's signal aborted, before a result arrived. */
  CONTROL_ABORTED: { category: 'application', retryable: false },
} as const satisfies Record<string, { category: ErrorCategory; retryable: boolean }>;

export type ControlErrorCode = keyof typeof CONTROL_ERROR_CODES;

/** A call-control command failed; `code` is one of `CONTROL_ERROR_CODES`. */
export class ControlError extends AppError {
  declare readonly code: ControlErrorCode;

  constructor(code: ControlErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown) {
    const { category, retryable } = CONTROL_ERROR_CODES[code];
    super(message, { code, category, retryable, details, cause });
  }
}

export function isControlError(err: unknown, code?: ControlErrorCode): err is ControlError {
  return err instanceof ControlError && (code === undefined || err.code === code);
}
