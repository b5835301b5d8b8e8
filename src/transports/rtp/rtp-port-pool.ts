/**
 * The UDP ports RTP calls use (RTP_PORT_MIN … RTP_PORT_MAX): one socket per call, bound on a free port of the
 * range and handed back when the call's endpoint closes. Ports are taken round-robin, so a port just released is
 * not reused at once (late packets of the last call on it are not mixed into a new one). When every port is in
 * use or cannot be bound, `open` rejects with `RTP_PORTS_EXHAUSTED`: a refusal of the call, never a crash.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { AppError } from '../../errors/app-error.js';

export interface RtpPortPoolOptions {
  /** Address the sockets bind (0.0.0.0 by default). */
  readonly host: string;
  readonly minPort: number;
  readonly maxPort: number;
}

export interface RtpPortPoolStats {
  /** Ports bound now. */
  inUse: number;
  /** Calls refused because no port could be bound. */
  refusals: number;
}

/** A bound UDP socket of the pool; `release` closes it and returns its port (idempotent). */
export interface RtpPortLease {
  readonly socket: Socket;
  readonly port: number;
  release(): void;
}

export class RtpPortPool {
  readonly #o: RtpPortPoolOptions;
  readonly #inUse = new Set<number>();
  #cursor: number;
  readonly stats: RtpPortPoolStats = { inUse: 0, refusals: 0 };

  constructor(options: RtpPortPoolOptions) {
    if (!Number.isInteger(options.minPort) || !Number.isInteger(options.maxPort))
      throw new RangeError('RTP ports must be integers');
    if (options.minPort < 1 || options.maxPort > 65535 || options.minPort > options.maxPort)
      throw new RangeError(`bad RTP port range ${options.minPort}-${options.maxPort}`);
    this.#o = options;
    this.#cursor = options.minPort;
  }

  /** Ports in the range. */
  get size(): number {
    return this.#o.maxPort - this.#o.minPort + 1;
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  /** Binds a socket on the next free port of the range. Rejects `RTP_PORTS_EXHAUSTED` when none can be bound. */
  async open(): Promise<RtpPortLease> {
    const { minPort, maxPort } = this.#o;
    for (let tried = 0; tried < this.size; tried++) {
      const port = this.#cursor;
      this.#cursor = port >= maxPort ? minPort : port + 1;
      if (this.#inUse.has(port)) continue;
      this.#inUse.add(port);
      const socket = await this.#bind(port);
      if (!socket) {
        this.#inUse.delete(port);
        continue;
      }
      this.stats.inUse = this.#inUse.size;
      return this.#lease(socket, port);
    }
    this.stats.refusals += 1;
    throw new AppError(`no free RTP port in ${minPort}-${maxPort} (${this.#inUse.size} in use)`, {
      code: 'RTP_PORTS_EXHAUSTED',
      category: 'configuration',
      retryable: true,
      details: { minPort, maxPort, inUse: this.#inUse.size },
    });
  }

  #lease(socket: Socket, port: number): RtpPortLease {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        socket.close();
      } catch {
        // already closed
      }
      this.#inUse.delete(port);
      this.stats.inUse = this.#inUse.size;
    };
    socket.once('close', release);
    return { socket, port, release };
  }

  /** A socket bound on `port`, or undefined if the port is taken by someone else. */
  #bind(port: number): Promise<Socket | undefined> {
    const type = isIP(this.#o.host) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket({ type, reuseAddr: false });
    return new Promise((resolve) => {
      const onError = () => {
        try {
          socket.close();
        } catch {
          // never bound
        }
        resolve(undefined);
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.#o.host, exclusive: true }, () => {
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }
}
