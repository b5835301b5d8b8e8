import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import type { FromWorker, ToWorker } from '../../protocols/media-worker/messages.js';
import type { RtpPortLease } from '../../transports/rtp/rtp-port-pool.js';
import { createRtpLeg, type RtpLegSettings } from '../media-paths/rtp-media-path.js';
import type { RtpLeg } from '../rtp-leg.js';

/** What a worker needs for RTP calls: its own ports (its share of the RTP range) and the leg settings. */
export interface WorkerRtpMedia extends RtpLegSettings {
  readonly ports: { open(): Promise<RtpPortLease> };
}

/** An RTP call between `call.openRtp` and `call.startRtp`: its socket, once bound. */
interface Binding {
  lease: RtpPortLease | undefined;
}

/**
 * The RTP sockets of a media worker's calls between `call.openRtp` (bind a port of this worker's range, answer
 * `rtp.bound` or `rtp.bindFailed`) and `call.startRtp` (build the call's leg on it, as one process builds it). A
 * call that ends before it starts has its port released.
 */
export class WorkerRtpSockets {
  readonly #o: WorkerRtpMedia | undefined;
  readonly #send: (m: FromWorker) => void;
  readonly #bindings = new Map<string, Binding>();

  constructor(options: WorkerRtpMedia | undefined, send: (m: FromWorker) => void) {
    this.#o = options;
    this.#send = send;
  }

  /** Binds the call's socket and answers the primary with its port (or why not). */
  async open(callId: string, log: Logger): Promise<void> {
    const failed = (code: string, message: string) => this.#send({ type: 'rtp.bindFailed', callId, code, message });
    const o = this.#o;
    if (!o) return failed('MEDIA_PATH_UNAVAILABLE', 'this media worker has no RTP ports');
    const binding: Binding = { lease: undefined };
    this.#bindings.set(callId, binding);
    let lease: RtpPortLease;
    try {
      lease = await o.ports.open();
    } catch (err) {
      if (this.#bindings.get(callId) === binding) this.#bindings.delete(callId);
      const code = err instanceof AppError ? err.code : 'RTP_BIND_FAILED';
      log.warn({ err, code }, 'no RTP port could be bound on this media worker');
      return failed(code, err instanceof Error ? err.message : String(err));
    }
    // The call ended while its port was being bound.
    if (this.#bindings.get(callId) !== binding) return lease.release();
    binding.lease = lease;
    log.info({ port: lease.port }, 'RTP port bound on this media worker');
    this.#send({ type: 'rtp.bound', callId, port: lease.port });
  }

  /**
   * The call's UnicastRTP channel is bridged: its leg on the bound socket, sending to Asterisk's address. Undefined
   * (reported as `call.mediaFailed`) when no socket is bound here for the call.
   */
  start(m: Extract<ToWorker, { type: 'call.startRtp' }>, log: Logger): RtpLeg | undefined {
    const lease = this.#bindings.get(m.callId)?.lease;
    this.#bindings.delete(m.callId);
    const o = this.#o;
    if (!lease || !o) {
      lease?.release();
      log.error('call.startRtp for a call with no RTP socket here');
      this.#send({
        type: 'call.mediaFailed',
        callId: m.callId,
        code: 'RTP_NOT_BOUND',
        message: 'the media worker holds no RTP socket for the call',
      });
      return undefined;
    }
    const leg = createRtpLeg(o, { id: m.channelId, lease, format: m.format, peer: m.peer, logger: log });
    log.info({ port: lease.port, peer: m.peer, format: m.format }, 'RTP media started on this media worker');
    return leg;
  }

  /** The call ended: a port bound (or being bound) for it and not started goes back. */
  release(callId: string): void {
    this.#bindings.get(callId)?.lease?.release();
    this.#bindings.delete(callId);
  }
}
