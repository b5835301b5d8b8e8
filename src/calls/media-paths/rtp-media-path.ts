import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { ClockTick } from '../../audio/media-clock.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import { type RtpFormat, rtpSendPlan } from '../../protocols/rtp/index.js';
import { type RtpAddress, RtpEndpoint, type RtpPortLease } from '../../transports/rtp/index.js';
import { ADD_CHANNEL_RETRY, addChannelWhenInStasis, whileLive } from '../ari-setup.js';
import type { MediaPathCall, MediaPathSetup } from '../media-path.js';
import type { CallSession } from '../call-session.js';
import { RtpLeg } from '../rtp-leg.js';
import type { MediaPathAri } from '../stasis-ari.js';

/** What a call's RTP leg is built with (RTP_* configuration), wherever it runs (this process or a media worker). */
export interface RtpLegSettings {
  readonly jitterMs: number;
  /** What slin16 calls send towards Asterisk: 8 kHz L16 (read by every Asterisk) or 16 kHz L16. */
  readonly slin16Send: 'slin' | 'slin16';
  /** Payload type sent per format, where it should differ from the one Asterisk uses. */
  readonly payloadTypes: Partial<Record<RtpFormat, number>>;
  readonly clock: { subscribe(listener: (tick: ClockTick) => void): () => void };
  /** Counts every RTP leg's stats into the adapter's totals when it ends. */
  readonly onLegEnded?: ((stats: RtpLeg['stats']) => void) | undefined;
}

/** RTP settings of the adapter (RTP_* configuration). */
export interface RtpMediaOptions extends RtpLegSettings {
  /** Binds one UDP socket per call on a free port of the range; rejects `RTP_PORTS_EXHAUSTED`. */
  readonly ports: { open(): Promise<RtpPortLease> };
  /** The address Asterisk sends RTP to (`external_host` is `<this>:<port>`). */
  readonly advertiseHost: string;
}

/**
 * A call's RTP socket on a media worker (MEDIA_WORKERS > 0), bound by the worker the call was placed on. `start`
 * hands the worker the Asterisk side's address and the format once the UnicastRTP channel is bridged: the worker
 * builds the leg (`createRtpLeg`) and runs the call's media on it.
 */
export interface RemoteRtpSocket {
  /** The worker's UDP port Asterisk is to send to (`external_host` is `<advertiseHost>:<port>`). */
  readonly port: number;
  readonly worker: number;
  start(channelId: string, format: RtpFormat, peer: RtpAddress | undefined): void;
}

export interface RtpMediaPathOptions {
  readonly ari: MediaPathAri;
  readonly app: string;
  /** Without it, calls on `media: rtp` routes fail with `MEDIA_PATH_UNAVAILABLE`. */
  readonly rtpMedia?: RtpMediaOptions | undefined;
  /**
   * Puts the call's RTP media on a media worker (MEDIA_WORKERS > 0): attaches its remote media and has the
   * least-loaded worker bind a port of its own range (rejects `RTP_PORTS_EXHAUSTED` or `MEDIA_WORKER_UNAVAILABLE`).
   * Unset: this process binds a port of `rtpMedia.ports`.
   */
  readonly placeRtpMedia?: ((session: CallSession) => Promise<RemoteRtpSocket> | undefined) | undefined;
  /** Longest wait for the media channel's StasisStart before it is bridged. Default 5000 ms. */
  readonly mediaStasisTimeoutMs?: number | undefined;
}

/** Where Asterisk receives the call's RTP: the UnicastRTP channel's `UNICASTRTP_LOCAL_*` variables, if usable. */
export function unicastRtpPeer(channelvars: Readonly<Record<string, string>> | undefined): RtpAddress | undefined {
  const address = channelvars?.UNICASTRTP_LOCAL_ADDRESS?.replace(/^\[|\]$/g, '');
  const port = Number(channelvars?.UNICASTRTP_LOCAL_PORT);
  if (!address || isIP(address) === 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  // An unspecified address says nothing about where Asterisk is: learn it from the first packet instead.
  if (address === '0.0.0.0' || address === '::') return undefined;
  return { address, port };
}

function rtpFormatOf(audioFormat: string): RtpFormat {
  return audioFormat === 'ulaw' || audioFormat === 'alaw' || audioFormat === 'slin16' ? audioFormat : 'slin';
}

/**
 * A call's RTP leg on a bound port: the endpoint sends to `peer` (Asterisk's `UNICASTRTP_LOCAL_*`) and accepts only
 * it, or learns it from the first packet when there is none; the sender follows RTP_SLIN16_SEND and
 * RTP_PAYLOAD_TYPES. The same in one process and on a media worker. Closing the leg releases the port.
 */
export function createRtpLeg(
  o: RtpLegSettings,
  call: { id: string; lease: RtpPortLease; format: RtpFormat; peer: RtpAddress | undefined; logger: Logger },
): RtpLeg {
  const { format, logger: log } = call;
  if (!call.peer)
    log.info({ port: call.lease.port }, 'no UNICASTRTP_LOCAL_* address: learning it from the first packet');
  const endpoint = new RtpEndpoint({ lease: call.lease, peer: call.peer, logger: log });
  const leg = new RtpLeg({
    id: call.id,
    endpoint,
    format,
    send: rtpSendPlan(format, { slin16Send: o.slin16Send, payloadTypes: o.payloadTypes }),
    acceptPayloadTypes: o.payloadTypes[format] === undefined ? [] : [o.payloadTypes[format]],
    jitterMs: o.jitterMs,
    clock: o.clock,
    logger: log,
  });
  leg.once('close', () => o.onLegEnded?.(leg.stats));
  return leg;
}

/**
 * The RTP media path of Stasis calls on `media: rtp` routes (Asterisk 16.6 and later): a UDP socket on a port of
 * the RTP range, externalMedia `encapsulation=rtp transport=udp direction=both external_host=<advertised>:<port>`
 * in the route's format, the UnicastRTP channel bridged once it is in Stasis, and the leg attached at once (it
 * sends from the first tick: Asterisk may send nothing until audio flows). The port is released however the call
 * ends: with the leg once attached, here on every failure before that.
 */
export class RtpMediaPath implements MediaPathSetup {
  readonly media = 'rtp' as const;
  readonly #o: RtpMediaPathOptions;

  constructor(options: RtpMediaPathOptions) {
    this.#o = options;
  }

  async setUp(call: MediaPathCall): Promise<void> {
    const { session } = call;
    const o = this.#o.rtpMedia;
    if (!o) {
      throw new AppError(`route ${session.info.route.name} needs the RTP media path, which is not configured`, {
        code: 'MEDIA_PATH_UNAVAILABLE',
        category: 'configuration',
      });
    }
    const format = rtpFormatOf(session.info.route.audioFormat);
    const onWorker = this.#o.placeRtpMedia?.(session); // undefined: a call whose media runs in this process
    if (onWorker) return this.#setUpOnWorker(call, onWorker, o.advertiseHost, format);
    const lease = await o.ports.open();
    let leg: RtpLeg | undefined;
    let handedOver = false;
    const live = whileLive(session);
    try {
      const log = session.log.child({ component: 'rtp' });
      const bridged = await this.#bridgeUnicastRtp(
        call,
        lease.port,
        o.advertiseHost,
        format,
        live.signal,
        (id, peer) => {
          leg = createRtpLeg(o, { id, lease, format, peer, logger: log });
        },
      );
      if (!bridged || !leg) return;
      const { peer } = bridged;
      log.info({ port: lease.port, peer, format, send: leg.sender.payloadType }, 'RTP media bridged');
      const attached = leg;
      handedOver = true;
      session.attachLeg(attached).catch((err: unknown) => {
        void attached.close();
        session.log.error({ err }, 'attaching media failed');
      });
    } finally {
      live.dispose();
      // Not handed to the call: the port goes back now.
      if (!handedOver) {
        if (leg) await leg.close();
        else lease.release();
      }
    }
  }

  /**
   * The RTP media path with the call's media on a media worker: the worker binds the port (its own sub-range of the
   * RTP range), the UnicastRTP channel is created towards it and bridged here, and the worker is then given the
   * Asterisk side's address and the format, exactly as the leg is built in one process. The worker releases the port
   * however the call ends (`call.close`).
   */
  async #setUpOnWorker(
    call: MediaPathCall,
    placed: Promise<RemoteRtpSocket>,
    advertiseHost: string,
    format: RtpFormat,
  ): Promise<void> {
    const socket = await placed;
    if (call.session.closing) return;
    const live = whileLive(call.session);
    try {
      const bridged = await this.#bridgeUnicastRtp(call, socket.port, advertiseHost, format, live.signal);
      if (!bridged) return;
      const { id, peer } = bridged;
      call.session.log.info({ port: socket.port, worker: socket.worker, peer, format }, 'RTP media bridged');
      socket.start(id, format, peer);
    } finally {
      live.dispose();
    }
  }

  /**
   * Records `media.requested`, creates the UnicastRTP channel towards `<host>:<port>` (adopted by the call), hands
   * its id and Asterisk's address to `made` (the one-process path builds its leg there, before the channel is in
   * Stasis), waits for the channel's StasisStart and adds it to the call's bridge. Undefined when the call closed on
   * the way (the telephony released where the channel may not be bridged yet).
   */
  async #bridgeUnicastRtp(
    { session, bridgeId, telephony, adopt, stasisStarted }: MediaPathCall,
    port: number,
    host: string,
    format: RtpFormat,
    signal: AbortSignal,
    made?: (id: string, peer: RtpAddress | undefined) => void,
  ): Promise<{ id: string; peer: RtpAddress | undefined } | undefined> {
    const mediaChannelId = randomUUID();
    session.record('media.requested', { bridge: bridgeId, mediaChannel: mediaChannelId, format, rtpPort: port });
    const media = await this.#o.ari.channels.externalMedia({
      app: this.#o.app,
      channelId: mediaChannelId,
      external_host: `${host}:${port}`,
      encapsulation: 'rtp',
      transport: 'udp',
      format,
      direction: 'both',
    });
    adopt(media.id);
    const peer = unicastRtpPeer(media.channelvars);
    if (!peer) session.log.info({ channelvars: media.channelvars }, 'UnicastRTP channel without a usable address');
    made?.(media.id, peer);
    if (session.closing) return void (await telephony.release());
    const timeout = AbortSignal.timeout(this.#o.mediaStasisTimeoutMs ?? 5000);
    await stasisStarted(media.id, AbortSignal.any([signal, timeout]));
    if (session.closing) return void (await telephony.release());
    await addChannelWhenInStasis(this.#o.ari, bridgeId, media.id, { ...ADD_CHANNEL_RETRY, signal });
    if (session.closing) return undefined;
    return { id: media.id, peer };
  }
}
