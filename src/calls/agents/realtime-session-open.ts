import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import { classifyRealtimeError } from '../../protocols/realtime/error-classes.js';
import { parseRealtimeServerEvent } from '../../protocols/realtime/server-events.js';
import { decodeSessionEcho, type SessionEcho } from '../../protocols/realtime/session-wire.js';
import { connectRealtimeSocket, type RealtimeAuthScheme } from '../../transports/realtime/connect-realtime-socket.js';
import type { RealtimeSocket } from '../../transports/realtime/realtime-socket.js';

export interface OpenRealtimeSessionOptions {
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly auth: RealtimeAuthScheme;
  readonly dialect: 'ga' | 'beta';
  readonly callId: string;
  /** The encoded, validated `session.update` body. */
  readonly session: Record<string, unknown>;
  readonly connectTimeoutMs: number;
  /** Longest wait for `session.updated`. */
  readonly sessionTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** A configured session: the socket, what the server confirmed, and the hand-over of its event stream. */
export interface OpenedRealtimeSession {
  readonly socket: RealtimeSocket;
  readonly echo: SessionEcho;
  /**
   * Hands the event stream to `onText`: events that arrived after `session.updated` are delivered first, in
   * order, then every later one. Call once.
   */
  takeOver(onText: (text: string) => void): void;
}

/** Errors while opening a session: `retryable` says whether another attempt can help. */
function sessionError(message: string, code: string, retryable: boolean, details?: Record<string, unknown>): AppError {
  return new AppError(message, {
    code,
    category: retryable ? 'connectivity' : code === 'REALTIME_AUTH_FAILED' ? 'authentication' : 'configuration',
    retryable,
    details,
  });
}

/**
 * Connects, sends `session.update` and resolves once the server confirms it with `session.updated`. Rejects with
 * a non-retryable error for a refused key, quota, model or session (the server's `error`, matched to our
 * `session.update` by `event_id` or classified by code), and with a retryable one when the connection drops or
 * no confirmation comes within `sessionTimeoutMs`.
 */
export async function openRealtimeSession(o: OpenRealtimeSessionOptions): Promise<OpenedRealtimeSession> {
  const socket = await connectRealtimeSocket({
    url: o.url,
    apiKey: o.apiKey,
    auth: o.auth,
    beta: o.dialect === 'beta',
    callId: o.callId,
    connectTimeoutMs: o.connectTimeoutMs,
    signal: o.signal,
    logger: o.logger,
  });
  const eventId = `session-update-${Date.now().toString(36)}`;
  const held: string[] = [];
  let handler: ((text: string) => void) | undefined;
  let confirmed: SessionEcho | undefined;
  let settle: { resolve: (e: SessionEcho) => void; reject: (e: AppError) => void } | undefined;
  const onText = (text: string): void => {
    if (confirmed !== undefined) {
      held.push(text);
      return;
    }
    const parsed = parseRealtimeServerEvent(text);
    if (!parsed.ok) {
      o.logger.warn({ code: parsed.code, detail: parsed.message }, 'realtime server sent an unreadable event');
      return;
    }
    const ev = parsed.event;
    if (ev.type === 'session.updated') {
      confirmed = decodeSessionEcho(ev.session);
      settle?.resolve(confirmed);
    } else if (ev.type === 'error') {
      const cls = classifyRealtimeError(ev.error);
      const ours = ev.error.event_id === eventId;
      const details = { errorType: ev.error.type, errorCode: ev.error.code ?? null, message: ev.error.message };
      o.logger.warn(details, 'realtime server error while opening the session');
      if (cls.disposition === 'fatal') settle?.reject(sessionError(ev.error.message, cls.code, false, details));
      else if (cls.disposition === 'reconnect') settle?.reject(sessionError(ev.error.message, cls.code, true, details));
      else if (ours)
        settle?.reject(
          sessionError(`session.update refused: ${ev.error.message}`, 'REALTIME_SESSION_REJECTED', false, details),
        );
    }
  };
  socket.on('text', onText);
  try {
    const echo = await new Promise<SessionEcho>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        socket.off('close', onClose);
        o.signal.removeEventListener('abort', onAbort);
      };
      settle = {
        resolve: (e) => {
          done();
          resolve(e);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      const fail = settle.reject;
      const timer = setTimeout(
        () =>
          fail(sessionError(`no session.updated within ${o.sessionTimeoutMs} ms`, 'REALTIME_SESSION_TIMEOUT', true)),
        o.sessionTimeoutMs,
      );
      const onClose = (c: { code: number; reason: string }): void =>
        fail(
          sessionError(
            `realtime server closed the connection while opening the session (${c.code} ${c.reason})`,
            'REALTIME_CONNECTION_LOST',
            true,
            { closeCode: c.code },
          ),
        );
      const onAbort = (): void =>
        fail(sessionError('opening the realtime session was cancelled', 'REALTIME_CONNECT_ABORTED', false));
      socket.once('close', onClose);
      o.signal.addEventListener('abort', onAbort, { once: true });
      socket.send({ type: 'session.update', event_id: eventId, session: o.session });
    });
    return {
      socket,
      echo,
      takeOver(next) {
        if (handler) return;
        handler = next;
        socket.off('text', onText);
        for (const text of held.splice(0)) next(text);
        socket.on('text', next);
      },
    };
  } catch (err) {
    socket.off('text', onText);
    await socket.close(1000, 'session not opened');
    throw err;
  }
}
