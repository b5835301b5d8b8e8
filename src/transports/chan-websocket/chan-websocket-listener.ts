/**
 * Accepts chan_websocket media connections that Asterisk opens to us (externalMedia `connection_type=client`, a
 * `websocket_client.conf` entry whose `uri` points here). Asterisk must authenticate with HTTP Basic (the entry's
 * `username`/`password`); others get 401. The subprotocol is `media`. A connection is handed on once its MEDIA_START
 * says which channel it belongs to; one that sends none within the timeout is closed.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import { CHAN_WEBSOCKET_MAX_MESSAGE_BYTES, type ControlFormat } from '../../protocols/chan-websocket/index.js';
import { ChanWebSocketConnection } from './chan-websocket-connection.js';

export interface ChanWebSocketListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly controlFormat: ControlFormat;
  /** A connection must send MEDIA_START within this time. */
  readonly startTimeoutMs: number;
  readonly logger: Logger;
  /**
   * Offered every authenticated upgrade before its handshake: true when it took the connection (handed it to a
   * media worker, which completes the handshake), false to have it served here.
   */
  readonly handOff?: ((req: IncomingMessage, socket: Duplex, head: Buffer) => boolean) | undefined;
}

export interface ChanWebSocketListenerEvents {
  [key: string]: unknown[];
  /** An authenticated connection whose MEDIA_START arrived. */
  connection: [conn: ChanWebSocketConnection];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The WebSocket server (no HTTP server of its own) that completes chan_websocket media handshakes. */
export function mediaWebSocketServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: CHAN_WEBSOCKET_MAX_MESSAGE_BYTES * 2,
    handleProtocols: (protocols) => (protocols.has('media') ? 'media' : false),
  });
}

export class ChanWebSocketListener extends TypedEmitter<ChanWebSocketListenerEvents> {
  readonly #o: ChanWebSocketListenerOptions;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #open = new Set<ChanWebSocketConnection>();
  #closing: Promise<void> | undefined;

  constructor(options: ChanWebSocketListenerOptions) {
    super();
    this.#o = options;
    this.#wss = mediaWebSocketServer();
    this.#server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
    });
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
  }

  /** Where it listens (after listen()). */
  get address(): AddressInfo | undefined {
    const a = this.#server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        resolve(this.address as AddressInfo);
      });
    });
  }

  /** Stops listening and closes every connection (each within its own bound). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closing = [...this.#open].map((c) => c.close(1001));
      this.#open.clear();
      this.#wss.close();
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
      await Promise.all(closing);
    })();
    return this.#closing;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    if (this.#closing || !sameSecret(given, `${this.#o.username}:${this.#o.password}`)) {
      this.#o.logger.warn({ remote: req.socket.remoteAddress }, 'chan_websocket connection refused: bad credentials');
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="media"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.#o.handOff?.(req, socket, head)) return;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new ChanWebSocketConnection(ws, { controlFormat: this.#o.controlFormat, logger: this.#o.logger });
      this.#open.add(conn);
      const timer = setTimeout(() => {
        this.#o.logger.warn('chan_websocket connection sent no MEDIA_START; closing');
        void conn.close(1008).catch(() => undefined);
      }, this.#o.startTimeoutMs);
      conn.once('close', () => {
        clearTimeout(timer);
        this.#open.delete(conn);
      });
      const onStart = () => {
        clearTimeout(timer);
        this.emit('connection', conn);
      };
      if (conn.mediaStart) onStart();
      else conn.once('start', onStart);
    });
  }
}
