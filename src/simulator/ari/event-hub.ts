/**
 * The `/ari/events` WebSocket side of the simulated Asterisk: accepts connections for one or more applications,
 * delivers each event to the connection that registered its application, and drops events nobody listens to
 * (Asterisk does not queue or replay them).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { KnownAriEvent } from '../../protocols/ari/index.js';
import { ev } from './event-factory.js';
import { asteriskTimestamp } from './sim-model.js';

/** How many deliveries `log()` keeps. */
const LOG_LIMIT = 10_000;

interface Registration {
  readonly apps: Set<string>;
  readonly subscribeAll: boolean;
}

/** One event as the hub handled it. */
export interface HubDelivery {
  readonly application: string;
  readonly event: KnownAriEvent;
  /** Whether a connected socket received it. */
  readonly delivered: boolean;
}

export class EventHub {
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #sockets = new Map<WebSocket, Registration>();
  /** The latest deliveries, oldest dropped beyond `LOG_LIMIT`. */
  readonly #log: HubDelivery[] = [];
  readonly #onChange: () => void;
  readonly #asteriskId: string;
  #delivered = 0;

  /** `onChange` runs whenever the set of connected applications changes. */
  constructor(options: { asteriskId: string; onChange: () => void }) {
    this.#onChange = options.onChange;
    this.#asteriskId = options.asteriskId;
  }

  /** Completes an upgrade that was already authenticated; `apps` comes from the `app` query parameter. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, apps: readonly string[], subscribeAll: boolean): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      for (const [other, reg] of this.#sockets) {
        for (const app of apps) {
          if (!reg.apps.has(app)) continue;
          reg.apps.delete(app);
          this.#sendTo(
            other,
            ev.applicationReplaced({
              application: app,
              timestamp: asteriskTimestamp(Date.now()),
              asteriskId: this.#asteriskId,
            }),
          );
        }
      }
      this.#sockets.set(ws, { apps: new Set(apps), subscribeAll });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        this.#sockets.delete(ws);
        this.#onChange();
      });
      this.#onChange();
    });
  }

  /** Whether a connected socket has registered `app`. */
  isActive(app: string): boolean {
    for (const reg of this.#sockets.values()) if (reg.apps.has(app)) return true;
    return false;
  }

  connectionCount(): number {
    return this.#sockets.size;
  }

  /** Delivers `event` to the socket registered for `application`, if any. */
  send(application: string, event: KnownAriEvent): boolean {
    let delivered = false;
    for (const [ws, reg] of this.#sockets) {
      if (!reg.apps.has(application)) continue;
      delivered = this.#sendTo(ws, event) || delivered;
    }
    if (delivered) this.#delivered++;
    this.#log.push({ application, event, delivered });
    if (this.#log.length > LOG_LIMIT) this.#log.splice(0, this.#log.length - LOG_LIMIT);
    return delivered;
  }

  /** How many events reached a socket so far. */
  deliveredCount(): number {
    return this.#delivered;
  }

  /** The latest deliveries (up to 10 000), oldest first. */
  log(): readonly HubDelivery[] {
    return this.#log;
  }

  /** Drops every events connection abruptly (no close frame), as a network failure would. Returns how many. */
  dropAll(): number {
    const n = this.#sockets.size;
    for (const ws of [...this.#sockets.keys()]) ws.terminate();
    return n;
  }

  /** Closes every events connection with 1001 (going away) and stops accepting. */
  async close(): Promise<void> {
    const closing = [...this.#sockets.keys()].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 1_000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(1001);
        }),
    );
    await Promise.all(closing);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #sendTo(ws: WebSocket, event: unknown): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(event));
    return true;
  }
}
