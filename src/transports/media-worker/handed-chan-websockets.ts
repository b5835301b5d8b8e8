import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Logger } from '../../observability/logger.js';
import type { ControlFormat } from '../../protocols/chan-websocket/index.js';
import type { HandedUpgrade } from '../../protocols/media-worker/messages.js';
import { ChanWebSocketConnection } from '../chan-websocket/chan-websocket-connection.js';
import { mediaWebSocketServer } from '../chan-websocket/chan-websocket-listener.js';
import { completeHandedUpgrade } from './upgrade-handoff.js';

/**
 * chan_websocket media connections Asterisk opened to the primary's media listener (connection type `client`) and
 * the primary handed to this process before their handshake: completes each handshake here (subprotocol `media`)
 * and makes it a `ChanWebSocketConnection`.
 */
export class HandedChanWebSockets {
  readonly #wss = mediaWebSocketServer();
  readonly #controlFormat: ControlFormat;

  constructor(controlFormat: ControlFormat) {
    this.#controlFormat = controlFormat;
  }

  /** Completes the handshake of a handed-over upgrade; rejects (WEBSOCKET_HANDSHAKE_FAILED) when it cannot. */
  accept(
    upgrade: HandedUpgrade,
    socket: Socket,
    logger: Logger,
    signal?: AbortSignal,
  ): Promise<ChanWebSocketConnection> {
    const wrap = (ws: WebSocket) => new ChanWebSocketConnection(ws, { controlFormat: this.#controlFormat, logger });
    return completeHandedUpgrade(this.#wss, upgrade, socket, wrap, signal);
  }

  close(): void {
    this.#wss.close();
  }
}
