import { AppError } from '../../errors/app-error.js';
import { assertNever } from '../../lib/assert-never.js';
import type { Logger } from '../../observability/logger.js';
import { classifyRealtimeError } from '../../protocols/realtime/error-classes.js';
import type { RealtimeErrorBody, ServerEventOf } from '../../protocols/realtime/server-events.js';

/** What the agent does about a server error, by its classification. */
export interface RealtimeErrorActions {
  /** Opens a new session (the server failed or the session expired). */
  reconnect(): void;
  /** Ends the agent for good (bad key, no quota): the call gets its fallback. */
  fail(error: AppError): void;
  /** Our `response.create` met an active response: ask again when it is done. */
  retryResponseLater(): void;
}

/**
 * Handles an `error` event: benign ones (cancelling a finished response) at debug level, refused requests logged
 * and the session kept, server failures by a reconnect, fatal ones by failing the agent with the adapter's code.
 * Every line carries the call id (the logger is the call's).
 */
export function handleRealtimeError(error: RealtimeErrorBody, log: Logger, actions: RealtimeErrorActions): void {
  const cls = classifyRealtimeError(error);
  const details = { errorType: error.type, errorCode: error.code ?? null, detail: error.message, param: error.param };
  switch (cls.disposition) {
    case 'benign':
      log.debug(details, 'realtime server: benign error');
      return;
    case 'report':
      log.warn(details, 'realtime server refused a request');
      if (error.code === 'conversation_already_has_active_response') actions.retryResponseLater();
      return;
    case 'reconnect':
      log.warn(details, 'realtime server error; opening a new session');
      actions.reconnect();
      return;
    case 'fatal':
      log.error(details, 'realtime server error; the agent cannot continue');
      actions.fail(
        new AppError(`realtime server: ${error.message}`, { code: cls.code, category: cls.category, details }),
      );
      return;
    default:
      assertNever(cls.disposition, 'error disposition');
  }
}

/** Logs `rate_limits.updated`: at debug level, or as a warning when a limit is below 10 % of its size. */
export function logRateLimits(ev: ServerEventOf<'rate_limits.updated'>, log: Logger): void {
  const low = ev.rate_limits.some(
    (r) => r.limit !== undefined && r.remaining !== undefined && r.limit > 0 && r.remaining / r.limit < 0.1,
  );
  if (low) log.warn({ rateLimits: ev.rate_limits }, 'realtime rate limits nearly used up');
  else log.debug({ rateLimits: ev.rate_limits }, 'realtime rate limits');
}
