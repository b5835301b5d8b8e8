import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { detachUpgrade } from '../../transports/media-worker/upgrade-handoff.js';
import type { CallSession } from '../call-session.js';
import type { IncomingPlacement } from './media-worker-pool.js';

/** The query parameter (chan_websocket dial option `v()`) that names the call a media connection belongs to. */
export const MEDIA_TOKEN_PARAM = 'ava_media';

interface Waiting {
  readonly session: CallSession;
  readonly placement: IncomingPlacement;
  readonly format: 'slin' | 'slin16';
}

/**
 * chan_websocket media in client mode (Asterisk connects to the primary's media listener) for calls on media
 * workers. A call is placed on a worker before its externalMedia channel is asked for, under a one-time token that
 * the dial string's `v(ava_media=<token>)` makes Asterisk put in the URI it connects to. When that connection's
 * upgrade request comes in (its credentials checked by the listener), it is handed with its socket, before the
 * handshake, to the worker holding the call; the worker completes the handshake and carries the media.
 */
export class ClientWebSocketMedia {
  readonly #place: (session: CallSession) => IncomingPlacement;
  readonly #connectionId: string;
  readonly #waiting = new Map<string, Waiting>();

  /** `connectionId`: the `websocket_client.conf` entry Asterisk connects through. */
  constructor(place: (session: CallSession) => IncomingPlacement, connectionId: string) {
    this.#place = place;
    this.#connectionId = connectionId;
  }

  /**
   * Places the call's media on a worker and returns the dial string option (for externalMedia's `transport_data`)
   * that makes Asterisk's connection name it. Throws MEDIA_WORKER_UNAVAILABLE when no worker is ready.
   */
  place(session: CallSession, format: 'slin' | 'slin16'): string {
    const placement = this.#place(session);
    const token = randomUUID();
    this.#waiting.set(token, { session, placement, format });
    session.once('ended', () => this.#waiting.delete(token));
    session.log.info({ worker: placement.worker }, 'chan_websocket media (client mode) placed on a media worker');
    return `v(${MEDIA_TOKEN_PARAM}=${token})`;
  }

  /**
   * Offered each authenticated upgrade of the media listener: one that names a waiting call goes to its worker
   * (true). Others (no or unknown token) are left to the listener (false).
   */
  handOff(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const token = tokenOf(req.url);
    const waiting = token ? this.#waiting.get(token) : undefined;
    if (!token || !waiting) return false;
    this.#waiting.delete(token);
    const { session, placement, format } = waiting;
    const detached = detachUpgrade(req, socket, head);
    const sent =
      detached !== undefined &&
      placement.send(
        {
          type: 'call.webSocketMedia',
          info: placement.info,
          connectionId: this.#connectionId,
          format,
          upgrade: detached.upgrade,
        },
        detached.socket,
      );
    if (!sent) {
      socket.destroy();
      session.log.error({ worker: placement.worker }, 'chan_websocket media connection could not be handed over');
      return true;
    }
    session.log.info({ worker: placement.worker }, 'chan_websocket media connection handed over to its media worker');
    return true;
  }
}

function tokenOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url, 'http://media.invalid').searchParams.get(MEDIA_TOKEN_PARAM) ?? undefined;
  } catch {
    return undefined;
  }
}
