import type { z } from 'zod';
import { AppError, type ErrorCategory, isAppError } from '../errors/app-error.js';

/** The JSON body of every REST error response. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

const STATUS_BY_CATEGORY: Record<ErrorCategory, number> = {
  authentication: 401,
  invalid_request: 400,
  not_found: 404,
  conflict: 409,
  rate_limit: 429,
  connectivity: 503,
  timeout: 504,
  server: 500,
  protocol: 502,
  configuration: 503,
  application: 500,
};

/** HTTP status of specific error codes, where the category alone is not precise enough. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  CALL_NOT_FOUND: 404,
  CALL_ENDED: 410,
  OWNER_GONE: 503,
  CONTROL_UNAVAILABLE: 503,
  CONTROL_TIMEOUT: 504,
  CONTROL_FAILED: 409,
  CONTROL_INVALID: 400,
  CONTROL_ABORTED: 503,
  JOB_LAYER_DISABLED: 503,
  FORBIDDEN: 403,
  UNAUTHORIZED: 401,
  RATE_LIMITED: 429,
};

/** An error the REST API answers with a given status. */
export class HttpError extends AppError {
  readonly status: number;
  readonly field: string | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { category: ErrorCategory; field?: string; details?: Record<string, unknown>; retryable?: boolean },
  ) {
    super(message, {
      code,
      category: options.category,
      retryable: options.retryable ?? false,
      details: options.details,
    });
    this.status = status;
    this.field = options.field;
  }
}

/** 400 naming the first failing field of a zod parse (`body.media.0`, `query.limit`). */
export function validationError(where: 'body' | 'query' | 'params' | 'headers', error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  return new HttpError(400, 'INVALID_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`, {
    category: 'invalid_request',
    field,
    details: {
      issues: error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), message: i.message })),
    },
  });
}

export function jobLayerDisabled(): HttpError {
  return new HttpError(503, 'JOB_LAYER_DISABLED', 'calls and call control need MYSQL_URL and REDIS_URL', {
    category: 'configuration',
  });
}

/** Status and body for any error a handler threw. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      body: {
        error: {
          code: err.code,
          message: err.message,
          ...(err.field ? { field: err.field } : {}),
          ...(err.details ? { details: err.details } : {}),
        },
      },
    };
  }
  if (isAppError(err)) {
    const status = STATUS_BY_CODE[err.code] ?? STATUS_BY_CATEGORY[err.category];
    return {
      status,
      body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } },
    };
  }
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // fastify's own client errors: body too large, bad JSON, unsupported media type.
    const code =
      e.statusCode === 413 ? 'BODY_TOO_LARGE' : e.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST';
    return { status: e.statusCode, body: { error: { code, message: String(e.message ?? 'bad request') } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}
