import { AppError, type ErrorCategory } from '../../errors/app-error.js';
import { errorBodyOfHttpAnswer } from '../../protocols/realtime/error-classes.js';
import { socketErrorCode, unreachableCode } from '../socket-errors.js';

/**
 * Stable codes for failures to open a Realtime session:
 * - `REALTIME_AUTH_FAILED` (not retryable): the server refused the key (HTTP 401/403, or an `invalid_api_key` event);
 * - `REALTIME_QUOTA_EXCEEDED` (not retryable): the account has no quota left (`insufficient_quota`);
 * - `REALTIME_RATE_LIMITED` (retryable): HTTP 429 for a rate limit;
 * - `REALTIME_UNREACHABLE` (retryable): refused, DNS failure, reset, timeout;
 * - `REALTIME_HANDSHAKE_FAILED`: any other answer; retryable only for 408 and 5xx;
 * - `REALTIME_URL_INVALID` (not retryable): not a ws:// or wss:// URL.
 */
export type RealtimeConnectErrorCode =
  | 'REALTIME_AUTH_FAILED'
  | 'REALTIME_QUOTA_EXCEEDED'
  | 'REALTIME_RATE_LIMITED'
  | 'REALTIME_UNREACHABLE'
  | 'REALTIME_HANDSHAKE_FAILED'
  | 'REALTIME_URL_INVALID';

export class RealtimeConnectError extends AppError {
  declare readonly code: RealtimeConnectErrorCode;
  readonly status: number | undefined;

  constructor(
    message: string,
    options: {
      code: RealtimeConnectErrorCode;
      category: ErrorCategory;
      retryable: boolean;
      status?: number;
      cause?: unknown;
      details?: Record<string, unknown>;
    },
  ) {
    super(message, {
      code: options.code,
      category: options.category,
      retryable: options.retryable,
      cause: options.cause,
      details: { ...(options.status === undefined ? {} : { status: options.status }), ...options.details },
    });
    this.status = options.status;
  }
}

export function classifyRealtimeSocketError(err: unknown, where: string): RealtimeConnectError {
  if (err instanceof RealtimeConnectError) return err;
  const code = socketErrorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (unreachableCode(err) !== undefined) {
    return new RealtimeConnectError(`realtime server at ${where} is unreachable (${code})`, {
      code: 'REALTIME_UNREACHABLE',
      category: 'connectivity',
      retryable: true,
      cause: err,
      details: { errno: code },
    });
  }
  return new RealtimeConnectError(`WebSocket handshake with the realtime server at ${where} failed: ${message}`, {
    code: 'REALTIME_HANDSHAKE_FAILED',
    category: 'protocol',
    retryable: false,
    cause: err,
  });
}

/** Classifies a non-101 answer to the upgrade, reading the OpenAI-style `{"error": {...}}` body when there is one. */
export function classifyRealtimeUpgradeAnswer(status: number, body: string, where: string): RealtimeConnectError {
  const e = errorBodyOfHttpAnswer(body);
  const details = e ? { errorType: e.type, errorCode: e.code } : {};
  if (status === 401 || status === 403) {
    return new RealtimeConnectError(`realtime server at ${where} refused the API key (HTTP ${status})`, {
      code: 'REALTIME_AUTH_FAILED',
      category: 'authentication',
      retryable: false,
      status,
      details,
    });
  }
  if (status === 429) {
    const quota = e?.code === 'insufficient_quota';
    return new RealtimeConnectError(
      quota
        ? `realtime server at ${where}: the account has no quota left (HTTP 429 insufficient_quota)`
        : `realtime server at ${where} is rate limiting (HTTP 429)`,
      {
        code: quota ? 'REALTIME_QUOTA_EXCEEDED' : 'REALTIME_RATE_LIMITED',
        category: 'rate_limit',
        retryable: !quota,
        status,
        details,
      },
    );
  }
  const retryable = status === 408 || status >= 500;
  return new RealtimeConnectError(`realtime server at ${where} answered the upgrade with HTTP ${status}`, {
    code: 'REALTIME_HANDSHAKE_FAILED',
    category: status >= 500 ? 'server' : 'invalid_request',
    retryable,
    status,
    details,
  });
}
