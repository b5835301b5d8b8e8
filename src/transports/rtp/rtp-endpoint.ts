/**
 * One call's RTP socket. It sends to the address Asterisk reported for its UnicastRTP channel
 * (`UNICASTRTP_LOCAL_ADDRESS` / `UNICASTRTP_LOCAL_PORT`) or, without one, to the source of the first packet
 * (symmetric RTP), and accepts packets only from that address and port: anything else is counted and dropped,
 * so another call's (or a stranger's) packets never mix into this call. RTCP on the port is counted and ignored;
 * undecodable datagrams are counted and dropped. Closing releases the port.
 */
import type { RemoteInfo } from 'node:dgram';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import { decodeRtp, type RtpPacket } from '../../protocols/rtp/index.js';
import type { RtpPortLease } from './rtp-port-pool.js';

export interface RtpAddress {
  readonly address: string;
  readonly port: number;
}

export interface RtpEndpointStats {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  /** Datagrams from another address or port than the peer's. */
  wrongSource: number;
  rtcp: number;
  invalid: number;
  /** Sends that failed (socket error); the next tick sends again. */
  sendErrors: number;
}

export interface RtpEndpointEvents {
  [key: string]: unknown[];
  packet: [packet: RtpPacket];
  /** The peer's address became known (from the first packet). */
  peer: [peer: RtpAddress];
  close: [];
}

export interface RtpEndpointOptions {
  readonly lease: RtpPortLease;
  /** Where Asterisk receives; undefined: learned from the first packet. */
  readonly peer?: RtpAddress | undefined;
  readonly logger: Logger;
}

/** An IPv4-mapped IPv6 source (`::ffff:1.2.3.4`) as the IPv4 address it is. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class RtpEndpoint extends TypedEmitter<RtpEndpointEvents> {
  readonly stats: RtpEndpointStats = {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    wrongSource: 0,
    rtcp: 0,
    invalid: 0,
    sendErrors: 0,
  };
  readonly #lease: RtpPortLease;
  readonly #log: Logger;
  #peer: RtpAddress | undefined;
  #closed = false;
  #warnedSource = false;

  constructor(options: RtpEndpointOptions) {
    super();
    this.#lease = options.lease;
    this.#log = options.logger;
    this.#peer = options.peer ? { address: plainAddress(options.peer.address), port: options.peer.port } : undefined;
    const socket = options.lease.socket;
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    socket.on('error', (err) => this.#log.warn({ err }, 'RTP socket error'));
    socket.once('close', () => this.#markClosed());
  }

  /** The local UDP port. */
  get port(): number {
    return this.#lease.port;
  }

  get peer(): RtpAddress | undefined {
    return this.#peer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one datagram to the peer; false when the peer is not known yet or the endpoint is closed. */
  send(datagram: Buffer): boolean {
    const peer = this.#peer;
    if (this.#closed || !peer) return false;
    this.stats.packetsOut += 1;
    this.#lease.socket.send(datagram, peer.port, peer.address, (err) => {
      if (err) this.stats.sendErrors += 1;
    });
    return true;
  }

  /** Closes the socket and releases its port. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#lease.release();
    this.#markClosed();
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    const address = plainAddress(rinfo.address);
    const peer = this.#peer;
    if (peer && (peer.address !== address || peer.port !== rinfo.port)) {
      this.stats.wrongSource += 1;
      if (!this.#warnedSource) {
        this.#warnedSource = true;
        this.#log.warn(
          { from: `${address}:${rinfo.port}`, peer: `${peer.address}:${peer.port}` },
          'RTP from an unexpected source dropped (only the UnicastRTP channel is accepted; check NAT between Asterisk and the adapter)',
        );
      }
      return;
    }
    const d = decodeRtp(msg);
    switch (d.kind) {
      case 'rtcp':
        this.stats.rtcp += 1;
        return;
      case 'invalid':
        this.stats.invalid += 1;
        return;
      case 'rtp':
        break;
    }
    if (!peer) {
      this.#peer = { address, port: rinfo.port };
      this.#log.info({ peer: `${address}:${rinfo.port}` }, 'RTP peer learned from its first packet');
      this.emit('peer', this.#peer);
    }
    this.stats.packetsIn += 1;
    this.stats.bytesIn += msg.length;
    this.emit('packet', d.packet);
  }
}
