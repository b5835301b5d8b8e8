/**
 * Connects to Asterisk's `/media/<connection_id>` (chan_websocket, externalMedia `connection_type=server`) with
 * subprotocol `media` and resolves with the open connection.
 */
import { WebSocket } from 'ws';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import { CHAN_WEBSOCKET_MAX_MESSAGE_BYTES, type ControlFormat } from '../../protocols/chan-websocket/index.js';
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
  const { signal } = options;
  if (signal.aborted) return Promise.reject(aborted(url));
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['media'], {
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload: CHAN_WEBSOCKET_MAX_MESSAGE_BYTES * 2,
      handshakeTimeout: options.connectTimeoutMs,
    });
    // Messages may follow the upgrade at once (MEDIA_START, early audio): the connection listens before `open`.
    const conn = new ChanWebSocketConnection(ws, { controlFormat: options.controlFormat, logger: options.logger });
    let settled = false;
    const onAbort = () => fail(aborted(url));
    const fail = (err: AppError) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      ws.terminate();
      reject(err);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.once('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      fail(
        new AppError(`Asterisk refused the media WebSocket ${url}: HTTP ${status}`, {
          code: 'CHAN_WEBSOCKET_CONNECT_FAILED',
          category: status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'server',
          details: { url, status },
        }),
      );
    });
    ws.once('error', (cause) =>
      fail(
        new AppError(`media WebSocket ${url} failed: ${cause.message}`, {
          code: 'CHAN_WEBSOCKET_CONNECT_FAILED',
          category: 'connectivity',
          retryable: true,
          cause,
          details: { url },
        }),
      ),
    );
    ws.once('open', () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (ws.protocol !== 'media')
        options.logger.warn({ protocol: ws.protocol }, 'media WebSocket without subprotocol media');
      resolve(conn);
    });
  });
}

function aborted(url: string): AppError {
  return new AppError(`media WebSocket ${url} aborted`, {
    code: 'CHAN_WEBSOCKET_CONNECT_ABORTED',
    category: 'connectivity',
    details: { url },
  });
}
