/**
 * Errors of the ARI client, classified where the raw failure is understood (HTTP status, fetch failure, timeout).
 * Messages and details name the method and path only: never the URL's credentials or the Authorization header.
 */
import { AppError, type ErrorCategory } from '../../errors/index.js';

/** Stable codes of `AriHttpError`, by HTTP status. */
export type AriHttpErrorCode =
  | 'ARI_BAD_REQUEST'
  | 'ARI_UNAUTHORIZED'
  | 'ARI_NOT_FOUND'
  | 'ARI_CONFLICT'
  | 'ARI_UNPROCESSABLE'
  | 'ARI_SERVER_ERROR'
  | 'ARI_UNAVAILABLE'
  | 'ARI_HTTP_ERROR';

interface Classification {
  code: AriHttpErrorCode;
  category: ErrorCategory;
  retryable: boolean;
}

/**
 * Maps an ARI status to a code. Asterisk 22 answers 500 for deterministic failures (unknown endpoint
 * `{"error":"Allocation failed"}`, a `data` that is not a UUID, an unknown format, an invalid bridge type), so a
 * plain 500 is not retryable; 502/503/504 (a proxy or an Asterisk going away) are.
 */
export function classifyAriStatus(status: number): Classification {
  switch (status) {
    case 400:
      return { code: 'ARI_BAD_REQUEST', category: 'invalid_request', retryable: false };
    case 401:
    case 403:
      return { code: 'ARI_UNAUTHORIZED', category: 'authentication', retryable: false };
    case 404:
      return { code: 'ARI_NOT_FOUND', category: 'not_found', retryable: false };
    case 409:
      return { code: 'ARI_CONFLICT', category: 'conflict', retryable: false };
    case 422:
      return { code: 'ARI_UNPROCESSABLE', category: 'conflict', retryable: false };
    case 502:
    case 503:
    case 504:
      return { code: 'ARI_UNAVAILABLE', category: 'connectivity', retryable: true };
    default:
      if (status >= 500) return { code: 'ARI_SERVER_ERROR', category: 'server', retryable: false };
      return { code: 'ARI_HTTP_ERROR', category: 'invalid_request', retryable: false };
  }
}

/** Asterisk answered with an error status. `ariMessage` is the `message` (or `error`) field of its JSON body. */
export class AriHttpError extends AppError {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly ariMessage: string | undefined;

  constructor(init: { status: number; method: string; path: string; ariMessage: string | undefined }) {
    const c = classifyAriStatus(init.status);
    const what = init.ariMessage === undefined ? `HTTP ${init.status}` : `${init.status} ${init.ariMessage}`;
    super(`ARI ${init.method} ${init.path} failed: ${what}`, {
      code: c.code,
      category: c.category,
      retryable: c.retryable,
      details: { status: init.status, method: init.method, path: init.path, ariMessage: init.ariMessage },
    });
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.ariMessage = init.ariMessage;
  }
}

export type AriRequestErrorCode = 'ARI_UNAVAILABLE' | 'ARI_TIMEOUT' | 'ARI_ABORTED';

/** No HTTP answer: the connection failed, the per-request timeout fired, or the caller aborted. */
export class AriRequestError extends AppError {
  readonly method: string;
  readonly path: string;

  constructor(code: AriRequestErrorCode, init: { method: string; path: string; detail: string; cause?: unknown }) {
    const category: ErrorCategory =
      code === 'ARI_TIMEOUT' ? 'timeout' : code === 'ARI_ABORTED' ? 'application' : 'connectivity';
    super(`ARI ${init.method} ${init.path} failed: ${init.detail}`, {
      code,
      category,
      retryable: code !== 'ARI_ABORTED',
      cause: init.cause,
      details: { method: init.method, path: init.path },
    });
    this.method = init.method;
    this.path = init.path;
  }
}

/** Replaces every occurrence of the given secrets (and their URL/base64 encodings) in `text`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}
