/**
 * Connects to Asterisk's `/media/<connection_id>` (chan_websocket, externalMedia `connection_type=server`) with
 * subprotocol `media` and resolves with the open connection.
 */
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import { CHAN_WEBSOCKET_MAX_MESSAGE_BYTES, type ControlFormat } from '../../protocols/chan-websocket/index.js';
import { openWebSocket } from '../open-websocket.js';
import { ChanWebSocketConnection } from './chan-websocket-connection.js';

export interface ConnectChanWebSocketOptions {
  /** Asterisk's HTTP server (`http(s)://host:port`, a path prefix and `/ari` are ignored). */
  readonly asteriskHttpUrl: string;
  readonly connectionId: string;
  readonly controlFormat: ControlFormat;
  /** Upper bound for TCP connect + TLS + HTTP upgrade. */
  readonly connectTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** The `ws(s)://…/media/<id>` URL for an Asterisk HTTP base URL. */
export function mediaWebSocketUrl(asteriskHttpUrl: string, connectionId: string): string {
  const url = new URL(asteriskHttpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `/media/${encodeURIComponent(connectionId)}`;
  url.search = '';
  url.username = '';
  url.password = '';
  return url.toString();
}

/**
 * Opens the media WebSocket. Rejects with `CHAN_WEBSOCKET_CONNECT_FAILED` (404 unknown id, 409 already connected,
 * refused, timeout; retryable only for network failures) or `CHAN_WEBSOCKET_CONNECT_ABORTED`.
 */
export function connectChanWebSocket(options: ConnectChanWebSocketOptions): Promise<ChanWebSocketConnection> {
  const url = mediaWebSocketUrl(options.asteriskHttpUrl, options.connectionId);
  const failed = (
    message: string,
    o: { category: AppError['category']; retryable?: boolean; cause?: unknown; status?: number },
  ): AppError =>
    new AppError(message, {
      code: 'CHAN_WEBSOCKET_CONNECT_FAILED',
      category: o.category,
      ...(o.retryable ? { retryable: true } : {}),
      ...(o.cause === undefined ? {} : { cause: o.cause }),
      details: o.status === undefined ? { url } : { url, status: o.status },
    });
  return openWebSocket({
    url,
    protocols: ['media'],
    headers: {},
    maxPayload: CHAN_WEBSOCKET_MAX_MESSAGE_BYTES * 2,
    connectTimeoutMs: options.connectTimeoutMs,
    signal: options.signal,
    log: options.logger,
    errors: {
      invalidUrl: (cause) => failed(`media WebSocket URL ${url} is invalid`, { category: 'configuration', cause }),
      socket: (cause) =>
        failed(`media WebSocket ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
          category: 'connectivity',
          retryable: true,
          cause,
        }),
      upgradeRefused: (status) =>
        failed(`Asterisk refused the media WebSocket ${url}: HTTP ${status}`, {
          category: status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'server',
          status,
        }),
      timeout: () =>
        failed(`media WebSocket ${url} did not complete the handshake within ${options.connectTimeoutMs} ms`, {
          category: 'connectivity',
          retryable: true,
        }),
      aborted: () => aborted(url),
    },
    // Messages may follow the upgrade at once (MEDIA_START, early audio): the connection listens from `open` on.
    wrap: (ws) => {
      if (ws.protocol !== 'media')
        options.logger.warn({ protocol: ws.protocol }, 'media WebSocket without subprotocol media');
      return new ChanWebSocketConnection(ws, { controlFormat: options.controlFormat, logger: options.logger });
    },
  });
}

function aborted(url: string): AppError {
  return new AppError(`media WebSocket ${url} aborted`, {
    code: 'CHAN_WEBSOCKET_CONNECT_ABORTED',
    category: 'connectivity',
    details: { url },
  });
}
