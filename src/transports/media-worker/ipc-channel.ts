import { Socket } from 'node:net';
import type { z } from 'zod';
import type { Logger } from '../../observability/logger.js';

/** The part of a forked child (or of `process` inside the child) the channel uses. */
export interface IpcEndpoint {
  send?(message: unknown, sendHandle?: Socket): boolean;
  readonly connected?: boolean;
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
}

/**
 * One typed message channel over a child-process IPC link: what goes out is typed `Out`; what comes in is parsed
 * with `inSchema` and handed to `onMessage`, or dropped with a warning when it does not parse. Sending after the
 * link is gone is a no-op that returns false (the owner learns of the loss from the process's exit). A message may
 * carry a TCP socket (a connection handed to the other process); it arrives as the second argument of `onMessage`.
 */
export class IpcChannel<Out, In> {
  readonly #ep: IpcEndpoint;
  readonly #log: Logger;
  readonly #listener: (message: unknown, handle?: unknown) => void;

  constructor(
    endpoint: IpcEndpoint,
    inSchema: z.ZodType<In>,
    onMessage: (message: In, socket: Socket | undefined) => void,
    logger: Logger,
  ) {
    this.#ep = endpoint;
    this.#log = logger;
    this.#listener = (raw, handle) => {
      const parsed = inSchema.safeParse(raw);
      if (!parsed.success) {
        this.#log.warn({ issues: parsed.error.issues.slice(0, 3) }, 'media worker channel: message dropped (invalid)');
        return;
      }
      try {
        onMessage(parsed.data, handle instanceof Socket ? handle : undefined);
      } catch (err) {
        this.#log.error({ err }, 'media worker channel: handling a message failed');
      }
    };
    endpoint.on('message', this.#listener);
  }

  send(message: Out, socket?: Socket): boolean {
    if (!this.#ep.send || this.#ep.connected === false) return false;
    try {
      return socket ? this.#ep.send(message, socket) : this.#ep.send(message);
    } catch (err) {
      this.#log.warn({ err }, 'media worker channel: send failed');
      return false;
    }
  }

  close(): void {
    this.#ep.off('message', this.#listener);
  }
}
