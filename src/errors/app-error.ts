/** What kind of failure an error is; callers branch on this and on `retryable`, never on message text. */
export const ERROR_CATEGORIES = [
  'authentication',
  'invalid_request',
  'not_found',
  'conflict',
  'rate_limit',
  'connectivity',
  'timeout',
  'server',
  'protocol',
  'configuration',
  'application',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export interface AppErrorOptions {
  code: string;
  category: ErrorCategory;
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Base of every error the service raises: a stable code, a category, whether a retry can help, and the cause. */
export class AppError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, options: AppErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.category = options.category;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      category: this.category,
      retryable: this.retryable,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
