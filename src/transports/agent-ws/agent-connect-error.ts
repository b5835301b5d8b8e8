import { AppError, type ErrorCategory } from '../../errors/app-error.js';
import { socketErrorCode, unreachableCode } from '../socket-errors.js';

/**
 * Stable codes for failures to open an agent WebSocket:
 * - `AGENT_UNREACHABLE` (retryable): refused, DNS failure, reset, unreachable network, connect timeout;
 * - `AGENT_AUTH_REJECTED` (not retryable): the agent answered the upgrade with 401 or 403;
 * - `AGENT_HANDSHAKE_FAILED`: any other non-101 answer or a broken handshake; retryable only for 408, 429, 5xx;
 * - `AGENT_URL_INVALID` (not retryable): the route's URL is not a ws:// or wss:// URL;
 * - `AGENT_CONNECT_ABORTED` (not retryable): the caller's AbortSignal fired.
 */
export const AGENT_CONNECT_ERROR_CODES = [
  'AGENT_UNREACHABLE',
  'AGENT_AUTH_REJECTED',
  'AGENT_HANDSHAKE_FAILED',
  'AGENT_URL_INVALID',
  'AGENT_CONNECT_ABORTED',
] as const;
export type AgentConnectErrorCode = (typeof AGENT_CONNECT_ERROR_CODES)[number];

export interface AgentConnectErrorOptions {
  code: AgentConnectErrorCode;
  category: ErrorCategory;
  retryable: boolean;
  /** HTTP status of a refused upgrade. */
  status?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Opening the WebSocket to an agent failed; `code` and `retryable` say what happened and whether to try again. */
export class AgentConnectError extends AppError {
  declare readonly code: AgentConnectErrorCode;
  readonly status: number | undefined;

  constructor(message: string, options: AgentConnectErrorOptions) {
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

/** Classifies an error raised while connecting (before the upgrade completed). */
export function classifyConnectError(err: unknown, url: string): AgentConnectError {
  if (err instanceof AgentConnectError) return err;
  const code = socketErrorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (unreachableCode(err) !== undefined) {
    return new AgentConnectError(`agent at ${redactUrl(url)} is unreachable (${code})`, {
      code: 'AGENT_UNREACHABLE',
      category: 'connectivity',
      retryable: true,
      cause: err,
      details: { errno: code },
    });
  }
  return new AgentConnectError(`WebSocket handshake with agent at ${redactUrl(url)} failed: ${message}`, {
    code: 'AGENT_HANDSHAKE_FAILED',
    category: 'protocol',
    retryable: false,
    cause: err,
    ...(code === undefined ? {} : { details: { errno: code } }),
  });
}

/** Classifies a non-101 HTTP answer to the upgrade request. */
export function classifyUpgradeStatus(status: number, url: string): AgentConnectError {
  if (status === 401 || status === 403) {
    return new AgentConnectError(`agent at ${redactUrl(url)} rejected the request signature (HTTP ${status})`, {
      code: 'AGENT_AUTH_REJECTED',
      category: 'authentication',
      retryable: false,
      status,
    });
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  return new AgentConnectError(`agent at ${redactUrl(url)} answered the upgrade with HTTP ${status}`, {
    code: 'AGENT_HANDSHAKE_FAILED',
    category: status === 429 ? 'rate_limit' : status >= 500 ? 'server' : 'invalid_request',
    retryable,
    status,
  });
}

export function connectTimeoutError(url: string, timeoutMs: number): AgentConnectError {
  return new AgentConnectError(`agent at ${redactUrl(url)} did not complete the handshake within ${timeoutMs} ms`, {
    code: 'AGENT_UNREACHABLE',
    category: 'timeout',
    retryable: true,
    details: { timeoutMs },
  });
}

export function connectAbortedError(url: string, reason: unknown): AgentConnectError {
  return new AgentConnectError(`connecting to agent at ${redactUrl(url)} was cancelled`, {
    code: 'AGENT_CONNECT_ABORTED',
    category: 'application',
    retryable: false,
    cause: reason,
  });
}

/** The URL without query string or credentials, for messages and logs (queries may carry tokens). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
