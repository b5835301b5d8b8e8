import { AppError } from '../errors/app-error.js';

/** mysql2 / server error codes after which the same statement can succeed later (server back, lock freed). */
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_TOO_MANY_USER_CONNECTIONS',
]);

const MESSAGE_HINTS = [
  /closed state/i, // mysql2: "Can't add new command when connection is in closed state"
  /Pool is closed/i,
  /Queue limit reached/i,
  /connect ETIMEDOUT/i,
];

/** A database operation failed; `retryable` says whether repeating it can help (outage, deadlock). */
export class DbError extends AppError {
  constructor(message: string, retryable: boolean, cause: unknown, details?: Record<string, unknown>) {
    super(message, {
      code: retryable ? 'DB_UNAVAILABLE' : 'DB_ERROR',
      category: retryable ? 'connectivity' : 'server',
      retryable,
      cause,
      details,
    });
  }
}

function codeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** Whether a raw mysql2/kysely error is transient (connection lost, refused, deadlock, lock wait). */
export function isRetryableDbError(err: unknown): boolean {
  if (err instanceof DbError) return err.retryable;
  const code = codeOf(err);
  if (code && RETRYABLE_CODES.has(code)) return true;
  if (err && typeof err === 'object' && 'fatal' in err && err.fatal === true) return true;
  const message = err instanceof Error ? err.message : '';
  if (MESSAGE_HINTS.some((re) => re.test(message))) return true;
  if (err instanceof AggregateError) return err.errors.some(isRetryableDbError);
  return false;
}

/** Wraps a raw database error in a `DbError` that says whether it is transient. */
export function toDbError(err: unknown, what: string): DbError {
  if (err instanceof DbError) return err;
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return new DbError(`${what}: ${message}`, isRetryableDbError(err), err, code ? { dbCode: code } : undefined);
}

/** Whether an error is MySQL's duplicate-key error (ER_DUP_ENTRY, 1062). */
export function isDuplicateKeyError(err: unknown): boolean {
  return codeOf(err) === 'ER_DUP_ENTRY';
}

/** Whether an error is a deadlock or lock-wait timeout: the transaction was rolled back and may simply be rerun. */
export function isLockConflictError(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}
