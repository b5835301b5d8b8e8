import type { RealtimeErrorBody } from './server-events.js';

/**
 * What a relay does about an `error` event from a Realtime server:
 * - `benign`: expected in normal operation (cancelling a response that already finished); log at debug;
 * - `fatal`: the session cannot go on and retrying will not help (bad key, no quota, unknown model): give the
 *   call its fallback;
 * - `reconnect`: the session is lost or the server failed; open a new session and replay the context;
 * - `report`: one request was refused (a bad truncate, a tool output for an unknown call); log it, keep going.
 */
export type RealtimeErrorDisposition = 'benign' | 'fatal' | 'reconnect' | 'report';

export interface RealtimeErrorClass {
  readonly disposition: RealtimeErrorDisposition;
  /** Stable adapter code for logs and fallbacks. */
  readonly code: string;
  readonly category: 'authentication' | 'rate_limit' | 'invalid_request' | 'server' | 'configuration';
}

const BENIGN_CODES: ReadonlySet<string> = new Set(['response_cancel_not_active']);

const FATAL: Readonly<Record<string, RealtimeErrorClass>> = {
  invalid_api_key: { disposition: 'fatal', code: 'REALTIME_AUTH_FAILED', category: 'authentication' },
  invalid_authentication: { disposition: 'fatal', code: 'REALTIME_AUTH_FAILED', category: 'authentication' },
  unauthorized: { disposition: 'fatal', code: 'REALTIME_AUTH_FAILED', category: 'authentication' },
  insufficient_quota: { disposition: 'fatal', code: 'REALTIME_QUOTA_EXCEEDED', category: 'rate_limit' },
  billing_hard_limit_reached: { disposition: 'fatal', code: 'REALTIME_QUOTA_EXCEEDED', category: 'rate_limit' },
  model_not_found: { disposition: 'fatal', code: 'REALTIME_MODEL_UNAVAILABLE', category: 'configuration' },
  missing_model: { disposition: 'fatal', code: 'REALTIME_MODEL_UNAVAILABLE', category: 'configuration' },
  unsupported_model: { disposition: 'fatal', code: 'REALTIME_MODEL_UNAVAILABLE', category: 'configuration' },
  account_deactivated: { disposition: 'fatal', code: 'REALTIME_AUTH_FAILED', category: 'authentication' },
};

const RECONNECT_CODES: ReadonlySet<string> = new Set(['session_expired', 'server_error', 'internal_error']);
const RECONNECT_TYPES: ReadonlySet<string> = new Set(['server_error', 'internal_server_error']);

/** Classifies an error event by its `code` and `type` (never by its message text). */
export function classifyRealtimeError(error: Pick<RealtimeErrorBody, 'type' | 'code'>): RealtimeErrorClass {
  const code = error.code ?? '';
  if (BENIGN_CODES.has(code)) return { disposition: 'benign', code: 'REALTIME_BENIGN', category: 'invalid_request' };
  const fatal = FATAL[code];
  if (fatal) return fatal;
  if (error.type === 'authentication_error') {
    return { disposition: 'fatal', code: 'REALTIME_AUTH_FAILED', category: 'authentication' };
  }
  if (RECONNECT_CODES.has(code) || RECONNECT_TYPES.has(error.type)) {
    return { disposition: 'reconnect', code: 'REALTIME_SERVER_ERROR', category: 'server' };
  }
  if (code === 'rate_limit_exceeded' || error.type === 'rate_limit_error') {
    return { disposition: 'report', code: 'REALTIME_RATE_LIMITED', category: 'rate_limit' };
  }
  return { disposition: 'report', code: 'REALTIME_REQUEST_REFUSED', category: 'invalid_request' };
}

/** The `error` an HTTP answer to the upgrade request may carry as JSON (`{"error": {…}}`), if any. */
export function errorBodyOfHttpAnswer(body: string): Pick<RealtimeErrorBody, 'type' | 'code' | 'message'> | undefined {
  try {
    const json = JSON.parse(body) as { error?: { type?: unknown; code?: unknown; message?: unknown } };
    const e = json?.error;
    if (!e || typeof e !== 'object') return undefined;
    return {
      type: typeof e.type === 'string' ? e.type : 'unknown_error',
      code: typeof e.code === 'string' ? e.code : null,
      message: typeof e.message === 'string' ? e.message : '',
    };
  } catch {
    return undefined;
  }
}
