import { setMaxListeners } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { AppError } from '../../errors/app-error.js';
import { onceAsync } from '../../lib/once.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import { AudioSocketDecoder } from '../../protocols/audiosocket/decoder.js';
import type { AdmissionDecision, AudioSocketAdmission } from './admission.js';
import { AudioSocketConnection } from './audiosocket-connection.js';
import { type AudioSocketCounters, createAudioSocketCounters } from './counters.js';
import { awaitUuidFrame, type HandshakeFailureReason } from './handshake.js';

export interface AudioSocketServerOptions<C> {
  host: string;
  /** 0 picks a free port; read the bound one from `address`. */
  port: number;
  /** Largest payload accepted; a longer frame closes that connection. */
  maxFrameBytes: number;
  /** The UUID frame must arrive within this time of the TCP accept. */
  handshakeTimeoutMs: number;
  /** An admitted connection that sends nothing for this long is closed; 0 never closes it for silence. */
  idleTimeoutMs: number;
  /** Decides which UUIDs may connect (a `UuidRegistry`, or the call layer's own). */
  admission: AudioSocketAdmission<C>;
  logger: Logger;
  /** Bytes allowed to wait in a socket's write buffer before its audio frames are dropped. Default 32768. */
  maxPendingWriteBytes?: number;
  /** After we end our side, how long the peer gets to close before the socket is destroyed. Default 2000. */
  closeGraceMs?: number;
  /** Most sockets at once (handshaking and admitted); more are closed at accept. Default 4096. */
  maxConnections?: number;
}

export type AudioSocketRejectionReason = HandshakeFailureReason | 'too_many_connections' | 'admission_error' | string;

/** A connection that was closed before it became a call. */
export interface AudioSocketRejection {
  readonly remoteAddress: string;
  /** Present once the UUID frame was read. */
  readonly uuid: string | undefined;
  readonly reason: AudioSocketRejectionReason;
  readonly error?: Error;
}

export type AudioSocketServerEvents<C> = {
  /** A connection was admitted. Attach listeners synchronously: reading starts right after this event. */
  connection: [connection: AudioSocketConnection<C>];
  rejected: [rejection: AudioSocketRejection];
};

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

/** Idle time before TCP keepalive probes start on an AudioSocket connection. */
export const TCP_KEEPALIVE_DELAY_MS = 10_000;

/**
 * The AudioSocket TCP server. Per connection: `setNoDelay(true)`; the first frame must be the UUID within
 * `handshakeTimeoutMs`; the UUID goes through `admission`; admitted connections are emitted as
 * `AudioSocketConnection`s. A connection that misbehaves is closed on its own, with a log line naming it and why,
 * without touching any other.
 */
export class AudioSocketServer<C> extends TypedEmitter<AudioSocketServerEvents<C>> {
  readonly #opts: Required<Omit<AudioSocketServerOptions<C>, 'admission' | 'logger'>>;
  readonly #admission: AudioSocketAdmission<C>;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #counters: AudioSocketCounters = createAudioSocketCounters();
  readonly #connections = new Set<AudioSocketConnection<C>>();
  readonly #pendingSockets = new Set<Socket>();
  readonly #closing = new AbortController();
  #address: BoundAddress | undefined;

  constructor(options: AudioSocketServerOptions<C>) {
    super();
    // Every handshake in progress listens for the server closing: many at once is normal, not a leak.
    setMaxListeners(0, this.#closing.signal);
    this.#opts = {
      host: options.host,
      port: options.port,
      maxFrameBytes: options.maxFrameBytes,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      maxPendingWriteBytes: options.maxPendingWriteBytes ?? 32_768,
      closeGraceMs: options.closeGraceMs ?? 2000,
      maxConnections: options.maxConnections ?? 4096,
    };
    this.#admission = options.admission;
    this.#log = options.logger;
    this.#server = createServer(
      // Keepalive probes find a peer that vanished (host down, cable cut) while the caller sends nothing.
      { noDelay: true, allowHalfOpen: false, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS },
      (socket) => this.#onSocket(socket),
    );
    this.#server.on('error', (err) => this.#log.error({ err }, 'AudioSocket server error'));
  }

  /** Where the server listens, once `listen()` resolved. */
  get address(): BoundAddress | undefined {
    return this.#address;
  }

  /** Admitted connections still open. */
  get connections(): ReadonlySet<AudioSocketConnection<C>> {
    return this.#connections;
  }

  /** A snapshot of the server-wide counters. */
  get counters(): Readonly<AudioSocketCounters> {
    return { ...this.#counters };
  }

  /** Starts listening; resolves with the bound address (the real port when `port` was 0). */
  listen(): Promise<BoundAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#opts.port, this.#opts.host, () => {
        this.#server.off('error', onError);
        const addr = this.#server.address();
        if (addr === null || typeof addr === 'string') {
          reject(new Error(`AudioSocket server bound to an unexpected address: ${String(addr)}`));
          return;
        }
        this.#address = { host: addr.address, port: addr.port };
        this.#log.info({ host: addr.address, port: addr.port }, 'AudioSocket server listening');
        resolve(this.#address);
      });
    });
  }

  /**
   * Stops listening, drops connections still in their handshake, lets admitted calls run for up to `deadlineMs`,
   * then hangs up the rest (`server_closing`) and waits for every socket to close. Idempotent.
   */
  readonly close: (deadlineMs?: number) => Promise<void> = onceAsync(async (deadlineMs = 0) => {
    this.#closing.abort();
    const stopped = new Promise<void>((resolve) => {
      if (!this.#server.listening) resolve();
      else this.#server.close(() => resolve());
    });
    if (deadlineMs > 0 && this.#connections.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.#connections].map((c) => c.closed)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const remaining = [...this.#connections];
    if (remaining.length > 0)
      this.#log.info({ calls: remaining.length }, 'AudioSocket server closing: hanging up calls');
    await Promise.all(remaining.map((c) => c.hangup('server_closing')));
    for (const socket of this.#pendingSockets) socket.destroy();
    await stopped;
    this.#log.info({ ...this.#counters }, 'AudioSocket server closed');
  });

  /**
   * Serves a connection accepted elsewhere (handed over by another process) as if it had been accepted here:
   * `raw` (every byte already read from it, its UUID frame included) is read before the socket.
   */
  adopt(socket: Socket, raw: Buffer): void {
    this.#onSocket(socket, raw);
  }

  #onSocket(socket: Socket, initial?: Buffer): void {
    const remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    // Always have an error listener: errors between the handshake and the connection object must not crash us.
    socket.on('error', (err) =>
      this.#log.debug({ remote: remoteAddress, err: err.message }, 'AudioSocket socket error'),
    );
    socket.setNoDelay(true);
    if (this.#closing.signal.aborted) {
      socket.destroy();
      return;
    }
    if (this.#pendingSockets.size + this.#connections.size >= this.#opts.maxConnections) {
      this.#reject(socket, { remoteAddress, uuid: undefined, reason: 'too_many_connections' });
      return;
    }
    this.#pendingSockets.add(socket);
    socket.once('close', () => this.#pendingSockets.delete(socket));
    void this.#handshake(socket, remoteAddress, initial).catch((err: unknown) => {
      this.#log.error({ remote: remoteAddress, err }, 'AudioSocket handshake failed unexpectedly');
      socket.destroy();
    });
  }

  async #handshake(socket: Socket, remoteAddress: string, initial?: Buffer): Promise<void> {
    const decoder = new AudioSocketDecoder({ maxFrameBytes: this.#opts.maxFrameBytes });
    const outcome = await awaitUuidFrame(socket, {
      decoder,
      timeoutMs: this.#opts.handshakeTimeoutMs,
      signal: this.#closing.signal,
      initial,
    });
    this.#counters.bytesIn += outcome.bytesIn;
    if (!outcome.ok) {
      if (outcome.reason === 'protocol_error') this.#counters.protocolErrors += 1;
      this.#reject(socket, { remoteAddress, uuid: undefined, reason: outcome.reason, error: outcome.error });
      return;
    }
    const { uuid } = outcome;
    this.#counters.framesIn += 1;
    let decision: AdmissionDecision<C>;
    try {
      decision = await this.#admission.admit(uuid);
    } catch (err) {
      this.#reject(socket, { remoteAddress, uuid, reason: 'admission_error', error: err as Error });
      return;
    }
    if (!decision.accept) {
      this.#reject(socket, { remoteAddress, uuid, reason: decision.reason }, decision.detail);
      return;
    }
    if (this.#closing.signal.aborted || socket.destroyed) {
      this.#reject(socket, {
        remoteAddress,
        uuid,
        reason: this.#closing.signal.aborted ? 'server_closing' : 'remote_closed',
      });
      return;
    }
    this.#pendingSockets.delete(socket);
    if (this.#admission.handOff?.(uuid, decision.context, socket, outcome.raw)) {
      this.#counters.connectionsAccepted += 1;
      this.#log.info({ uuid, remote: remoteAddress }, 'AudioSocket call handed over to a media worker');
      return;
    }
    const connection = new AudioSocketConnection<C>({
      socket,
      uuid,
      context: decision.context,
      decoder,
      idleTimeoutMs: this.#opts.idleTimeoutMs,
      maxPendingWriteBytes: this.#opts.maxPendingWriteBytes,
      closeGraceMs: this.#opts.closeGraceMs,
      logger: this.#log.child({ uuid }),
      counters: this.#counters,
    });
    this.#counters.connectionsAccepted += 1;
    this.#connections.add(connection);
    void connection.closed.then(() => this.#connections.delete(connection));
    this.#log.info({ uuid, remote: remoteAddress }, 'AudioSocket call connected');
    try {
      this.emit('connection', connection);
    } catch (err) {
      this.#log.error({ uuid, err }, 'AudioSocket connection listener threw; closing the connection');
      void connection.close();
      return;
    }
    connection.start(outcome.rest, outcome.restError);
  }

  #reject(socket: Socket, rejection: AudioSocketRejection, detail?: string): void {
    const { uuid, reason, remoteAddress, error } = rejection;
    if (uuid !== undefined) this.#counters.connectionsRejected += 1;
    else this.#counters.handshakeFailures += 1;
    const why = this.#describe(rejection, detail);
    const code = error instanceof AppError ? error.code : undefined;
    const fields = {
      uuid,
      remote: remoteAddress,
      reason,
      ...(code ? { code } : {}),
      ...(error ? { err: error.message } : {}),
    };
    if (reason === 'server_closing') this.#log.info(fields, `AudioSocket connection closed: ${why}`);
    else this.#log.warn(fields, `AudioSocket connection rejected: ${why}`);
    socket.destroy();
    try {
      this.emit('rejected', rejection);
    } catch (err) {
      this.#log.error({ err }, 'AudioSocket rejected listener threw');
    }
  }

  #describe(r: AudioSocketRejection, detail: string | undefined): string {
    switch (r.reason) {
      case 'handshake_timeout':
        return `no UUID frame within ${this.#opts.handshakeTimeoutMs} ms`;
      case 'protocol_error':
        return `protocol error ${r.error instanceof AppError ? r.error.code : ''} before the call started: ${r.error?.message ?? 'invalid frame'}`;
      case 'remote_closed':
        return r.uuid ? `UUID ${r.uuid}: peer closed before admission finished` : 'peer closed before sending its UUID';
      case 'socket_error':
        return `socket error before the UUID: ${r.error?.message ?? ''}`;
      case 'server_closing':
        return r.uuid ? `UUID ${r.uuid}: the server is closing` : 'the server is closing';
      case 'too_many_connections':
        return `connection limit of ${this.#opts.maxConnections} reached`;
      case 'admission_error':
        return `UUID ${r.uuid}: admission failed: ${r.error?.message ?? ''}`;
      default:
        return `UUID ${r.uuid} ${detail ?? `refused (${r.reason})`}`;
    }
  }
}
