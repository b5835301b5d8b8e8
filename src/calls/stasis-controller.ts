import { randomUUID } from 'node:crypto';
import type { Route } from '../config/routes.js';
import type { AppError } from '../errors/app-error.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import type { Logger } from '../observability/logger.js';
import type { AriEvent, Channel } from '../protocols/ari/index.js';
import type { AriEventStream } from '../transports/ari/ari-event-stream.js';
import type { UuidRegistry } from '../transports/audiosocket/uuid-registry.js';
import { MediaStasisTracker } from './ari-setup.js';
import { AriCallTelephony } from './ari-telephony.js';
import type { RtpMediaOptions, RtpMediaPathOptions } from './media-paths/rtp-media-path.js';
import type { AsteriskCapabilities } from './asterisk-capabilities.js';
import type { CallRegistry } from './call-registry.js';
import type { CallSession } from './call-session.js';
import { isOwnMediaChannel, mediaLegGoneReason } from './media-channels.js';
import type { MediaKind, MediaPathSetup } from './media-path.js';
import { createMediaPaths } from './media-paths/index.js';
import type { RouteMatcher } from './route-matcher.js';
import { stasisSetUpFailed, setUpStasisCall } from './stasis-call-setup.js';
import { admitInbound, probeRouteRefusals, refuseWithFallback } from './stasis-admission.js';
import type { StasisAri } from './stasis-ari.js';
import { type OriginateRequest, type OriginateResult, Originator, type StartedOriginate } from './stasis-originate.js';
import { type ReconcileResult, reconcileWithAsterisk } from './stasis-reconcile.js';
import type { CallInfo } from './voice-agent.js';
import { WARM_TRANSFER_STASIS_ARG, WarmTransferLegs } from './warm-transfer-legs.js';
import { PlaybackWaiters } from './playback-waiters.js';
import type { WebSocketMediaOptions } from './websocket-media-setup.js';

export type { OriginateRequest, OriginateResult } from './stasis-originate.js';

/** What the controller needs to make a call session (the composition root supplies it). */
export type SessionMaker = (info: Omit<CallInfo, 'legFormat'>, extra: { telephony: AriCallTelephony }) => CallSession;

export interface StasisControllerOptions {
  /** The parts of the ARI client the controller uses (the full client fits). */
  ari: StasisAri;
  /** ARI events: `event` and `reconnected`, started and closed with the controller. */
  events: StasisEvents;
  app: string;
  registry: CallRegistry;
  routes: RouteMatcher;
  /** Route for Stasis calls no route matches (undefined: such calls are hung up). */
  defaultRoute: Route | undefined;
  expectedUuids: UuidRegistry<CallSession>;
  makeSession: SessionMaker;
  /** `host:port` Asterisk dials for the AudioSocket externalMedia channel (asked per call: the port may be bound late). */
  audioSocketHost: () => string;
  /** Places AudioSocket media on a media worker (see `AudioSocketMediaPathOptions.placeMedia`); unset: here. */
  placeMedia?: ((session: CallSession, uuid: string) => string | undefined) | undefined;
  uuidTtlMs: number;
  /** Places chan_websocket media on a media worker (see `WebSocketMediaPathOptions.placeWebSocketMedia`). */
  placeWebSocketMedia?:
    | ((session: CallSession, connectionId: string, format: 'slin' | 'slin16') => boolean | undefined)
    | undefined;
  /** Places client-mode chan_websocket media on a media worker (see `WebSocketMediaPathOptions`). */
  placeClientWebSocketMedia?: ((session: CallSession, format: 'slin' | 'slin16') => string | undefined) | undefined;
  /** chan_websocket settings for routes with `media: websocket`; such calls are refused without it. */
  websocketMedia?: WebSocketMediaOptions | undefined;
  /** RTP settings for routes with `media: rtp`; such calls are refused without them. */
  rtpMedia?: RtpMediaOptions | undefined;
  /** Places RTP media on a media worker (see `RtpMediaPathOptions.placeRtpMedia`); unset: here. */
  placeRtpMedia?: RtpMediaPathOptions['placeRtpMedia'];
  accepting: () => boolean;
  /** Longest wait for an AudioSocket media channel's StasisStart before it is bridged. Default 5000 ms. */
  mediaStasisTimeoutMs?: number | undefined;
  logger: Logger;
}

/** What the controller asks of the ARI event stream. */
export type StasisEvents = Pick<AriEventStream, 'start' | 'close'> & {
  on(event: 'event', listener: (ev: AriEvent) => void): unknown;
  on(event: 'reconnected', listener: () => void): unknown;
  off(event: 'event', listener: (ev: AriEvent) => void): unknown;
  off(event: 'reconnected', listener: () => void): unknown;
};

export interface StasisControllerEvents {
  [key: string]: unknown[];
  /** Asterisk accepted an originate: the far end is being dialled. */
  originated: [o: { callId: string; channelId: string; endpoint: string; route: string }];
  /** An originated call was not answered (busy, no answer, failure): it will never become a session. */
  originateFailed: [o: { callId: string; channelId: string; route: string; error: AppError }];
  /** A reconcile pass finished (after start and after every events reconnect). */
  reconciled: [result: ReconcileResult];
}

/**
 * Drives Stasis calls over ARI. A caller's StasisStart becomes a CallSession: (answer,) mixing bridge, AudioSocket
 * media channel set up by the route's media path (`media-paths/`), both bridged.
 * It recognises its own media and originated legs, maps ARI events to the session, and reconciles with Asterisk
 * after the events socket comes back or the adapter restarts, so no channel or bridge is left behind. Originate
 * (`stasis-originate.ts`) and reconcile (`stasis-reconcile.ts`) are parts of their own.
 */
export class StasisController extends TypedEmitter<StasisControllerEvents> {
  readonly #o: StasisControllerOptions;
  readonly #log: Logger;
  /** Channel ids this controller created (media legs, originated calls) → the session they belong to. */
  readonly #own = new Map<string, CallSession>();
  readonly #originator: Originator;
  readonly #mediaPaths: ReadonlyMap<MediaKind, MediaPathSetup>;
  #closed: Promise<void> | undefined;
  readonly #playbacks = new PlaybackWaiters();
  readonly #transferLegs = new WarmTransferLegs(); // persons dialled and callers handed over by warm transfers
  /** StasisStarts of our media channels, before or after their externalMedia answer (see ari-setup.ts). */
  readonly #mediaStasis = new MediaStasisTracker();
  /** Our channels Asterisk is hanging up (their bridge exit is part of the hangup, not a media failure). */
  readonly #hangingUp = new Set<string>();
  /** Routes the connected Asterisk cannot carry (name → why), from the capability probe. */
  readonly #refused = new Map<string, string>();
  #capabilities: AsteriskCapabilities | undefined;
  readonly #onEvent = (ev: AriEvent) => {
    try {
      this.#handle(ev);
    } catch (err) {
      this.#log.error({ err, type: ev.type }, 'ARI event handling failed');
    }
  };
  readonly #onReconnected = () => {
    this.reconcile().catch((err: unknown) => this.#log.error({ err }, 'reconcile after reconnect failed'));
  };

  constructor(options: StasisControllerOptions) {
    super();
    this.#o = options;
    this.#log = options.logger.child({ component: 'stasis' });
    this.#originator = new Originator({
      ari: options.ari,
      app: options.app,
      logger: this.#log,
      onOriginated: (o) => this.emit('originated', o),
      onFailed: (o) => this.emit('originateFailed', o),
    });
    this.#mediaPaths = createMediaPaths({ ...options, websocketMedia: options.websocketMedia });
  }

  /** What the connected Asterisk reported at start (version, modules, media paths). */
  get capabilities(): AsteriskCapabilities | undefined {
    return this.#capabilities;
  }

  /** Routes refused because the connected Asterisk lacks their media path, with the reason. */
  get refusedRoutes(): ReadonlyMap<string, string> {
    return this.#refused;
  }

  /**
   * Reads the Asterisk version and modules and refuses every route whose media path it lacks (calls on it are
   * hung up with `congestion`), logging why. A failed probe refuses nothing.
   */
  async probeMediaPaths(): Promise<void> {
    const routes = [...this.#o.routes.routes, ...(this.#o.defaultRoute ? [this.#o.defaultRoute] : [])];
    const format = this.#o.websocketMedia?.controlFormat ?? 'json';
    const probed = await probeRouteRefusals(this.#o.ari, routes, format, this.#log);
    if (!probed) return;
    this.#capabilities = probed.capabilities;
    this.#refused.clear();
    for (const [name, why] of probed.refused) this.#refused.set(name, why);
  }

  /** Probes capabilities, subscribes to events, connects, then reconciles (hangs up what a previous run left). */
  async start(): Promise<void> {
    await this.probeMediaPaths();
    this.#o.events.on('event', this.#onEvent);
    this.#o.events.on('reconnected', this.#onReconnected);
    await this.#o.events.start();
    await this.reconcile();
  }

  /** Stops following ARI events, rejects pending originates and closes the event stream. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#o.events.off('event', this.#onEvent);
      this.#o.events.off('reconnected', this.#onReconnected);
      this.#originator.close();
      await this.#o.events.close();
    })();
    return this.#closed;
  }

  /** Originates a call through ARI; resolves when it is answered and has entered Stasis. */
  async originate(request: OriginateRequest): Promise<OriginateResult> {
    const started = await this.startOriginate(request);
    return started.answered;
  }

  /**
   * Sends the originate and resolves once Asterisk accepted it (the far end is ringing), with the call's ids and a
   * promise of the outcome: answered (the call is live in the registry) or a typed error with the Q.850 cause.
   */
  startOriginate(request: OriginateRequest): Promise<StartedOriginate> {
    return this.#originator.start(request);
  }

  /** Waits for a playback's PlaybackFinished (or the timeout). */
  waitPlayback = (playbackId: string, timeoutMs: number): Promise<void> => this.#playbacks.wait(playbackId, timeoutMs);

  /**
   * Brings our view and Asterisk's into line: live sessions whose caller channel is gone end; channels and bridges
   * in our application that no live call owns are hung up / destroyed.
   */
  async reconcile(): Promise<ReconcileResult> {
    const result = await reconcileWithAsterisk({
      ari: this.#o.ari,
      app: this.#o.app,
      registry: this.#o.registry,
      owns: (id) => this.#own.has(id) || this.#originator.has(id) || this.#transferLegs.owns(id),
      logger: this.#log,
    });
    this.emit('reconciled', result);
    return result;
  }

  #handle(ev: AriEvent): void {
    this.#transferLegs.dispatch(ev);
    switch (ev.type) {
      case 'StasisStart':
        this.#onStasisStart(ev.channel, ev.args);
        return;
      case 'StasisEnd':
        this.#onChannelGone(ev.channel.id, undefined, undefined, 'StasisEnd');
        return;
      case 'ChannelHangupRequest': {
        const session = this.#o.registry.get(ev.channel.id);
        if (session && ev.cause !== undefined && !ev.soft) session.setHangupCause(ev.cause, undefined);
        if (this.#own.has(ev.channel.id)) this.#hangingUp.add(ev.channel.id);
        this.#onChannelGone(ev.channel.id, undefined, undefined, 'ChannelHangupRequest');
        return;
      }
      case 'ChannelDestroyed':
        this.#onChannelGone(ev.channel.id, ev.cause, ev.cause_txt, 'ChannelDestroyed');
        return;
      case 'ChannelDtmfReceived': {
        const session = this.#o.registry.get(ev.channel.id);
        if (session && !this.#own.has(ev.channel.id)) session.dtmf(ev.digit, ev.duration_ms);
        return;
      }
      case 'Dial':
        this.#originator.dialled(ev.peer.id, ev.dialstatus);
        return;
      case 'PlaybackFinished':
        this.#playbacks.finished(ev.playback.id);
        return;
      case 'ChannelLeftBridge':
        this.#onLeftBridge(ev.channel.id, ev.bridge.id);
        return;
      default:
        return;
    }
  }

  #onChannelGone(channelId: string, cause: number | undefined, causeTxt: string | undefined, via: string): void {
    if (via === 'ChannelDestroyed' && this.#originator.destroyed(channelId, cause, causeTxt)) return;
    if (via !== 'ChannelHangupRequest') {
      this.#mediaStasis.forget(channelId);
      this.#hangingUp.delete(channelId);
    }
    const own = this.#own.get(channelId);
    if (own) {
      if (via !== 'ChannelHangupRequest') {
        this.#own.delete(channelId);
        // Our media leg or originated caller left: the call cannot go on.
        const tel = own.telephony;
        const isCaller = tel instanceof AriCallTelephony && tel.resources.callerChannelId === channelId;
        if (isCaller && cause !== undefined) own.setHangupCause(cause, causeTxt);
        if (!isCaller && !own.closing) own.log.warn({ channel: channelId, via }, 'media channel hung up by Asterisk');
        void own.close(isCaller ? 'caller_hangup' : mediaLegGoneReason(own.info.route));
      }
      return;
    }
    const session = this.#o.registry.get(channelId);
    if (!session) return;
    if (cause !== undefined) session.setHangupCause(cause, causeTxt);
    void session.close('caller_hangup');
  }

  #onStasisStart(channel: Channel, args: readonly string[]): void {
    if (this.#own.has(channel.id) || isOwnMediaChannel(channel)) {
      // Our own media leg entering Stasis, before or after its externalMedia answer was processed.
      this.#mediaStasis.started(channel.id);
      return;
    }
    if (this.#transferLegs.owns(channel.id)) return;
    const pending = this.#originator.answered(channel.id, args);
    if (pending === 'amd') return;
    if (pending) {
      const { route, customParameters, amd } = pending.request;
      const amdInfo = amd && { settings: amd, asterisk: pending.amdResult };
      const session = this.#startCall(channel, 'outbound', route, pending.callId, customParameters ?? {}, amdInfo);
      this.#own.set(channel.id, session);
      pending.resolve({ callId: session.id, channelId: channel.id });
      return;
    }
    if (args[0]?.startsWith('outbound') || args[0] === WARM_TRANSFER_STASIS_ARG) {
      // An outbound call from a previous run of the adapter (or another instance): not ours to serve.
      this.#log.warn(
        { channel: channel.id },
        'StasisStart of an outbound call this instance did not originate; hanging up',
      );
      void this.#o.ari.channels.hangup(channel.id).catch(() => {});
      return;
    }
    const admission = admitInbound(
      channel,
      args,
      { ...this.#o, refused: this.#refused },
      this.#log.child({ channel: channel.id }),
    );
    switch (admission.kind) {
      case 'accept': {
        const custom: Record<string, string> = args[0] !== undefined ? { stasisArg: args[0] } : {};
        this.#startCall(channel, 'inbound', admission.route, randomUUID(), custom);
        return;
      }
      case 'fallback':
        void refuseWithFallback(this.#o.ari, channel, admission.route, this.waitPlayback, this.#log);
        return;
      case 'hangup':
        void this.#o.ari.channels.hangup(channel.id, { reason: admission.reason }).catch(() => {});
        return;
    }
  }

  #startCall(
    channel: Channel,
    direction: 'inbound' | 'outbound',
    route: Route,
    callId: string,
    customParameters: Record<string, string>,
    amd?: CallInfo['amd'],
  ): CallSession {
    const [ari, log, resources] = [this.#o.ari, this.#log.child({ callId }), { callerChannelId: channel.id }];
    const warm = { ari, app: this.#o.app, legs: this.#transferLegs };
    const telephony = new AriCallTelephony(ari, resources, this.waitPlayback, log, warm);
    const session = this.#o.makeSession(
      {
        callId,
        direction,
        caller: direction === 'inbound' ? channel.caller.number || undefined : channel.connected.number || undefined,
        callee: direction === 'inbound' ? channel.dialplan.exten : channel.caller.number || undefined,
        route,
        channelId: channel.id,
        startedAt: new Date(),
        customParameters: { ...route.customParameters, ...customParameters },
        amd,
      },
      { telephony },
    );
    this.#o.registry.add(session, [channel.id]);
    session.log.info({ channel: channel.id, name: channel.name, direction, route: route.name }, 'Stasis call started');
    session.record('call.started', {
      direction,
      channel: channel.id,
      caller: channel.caller.number,
      exten: channel.dialplan.exten,
      // The SIP Call-ID of a PJSIP caller: the console's web phone finds its own call by it.
      ...(channel.protocol_id ? { protocolId: channel.protocol_id } : {}),
    });
    session.once('ended', () => {
      for (const [id, s] of this.#own) {
        if (s !== session) continue;
        this.#own.delete(id);
        this.#hangingUp.delete(id);
        this.#mediaStasis.forget(id);
      }
    });
    setUpStasisCall({
      ari: this.#o.ari,
      mediaPaths: this.#mediaPaths,
      session,
      channel,
      telephony,
      adopt: (id) => {
        this.#own.set(id, session);
        this.#o.registry.alias(session, id);
      },
      stasisStarted: (id, signal) => this.#mediaStasis.wait(id, signal),
    }).catch((err: unknown) => stasisSetUpFailed(this.#o.ari, session, err));
    return session;
  }

  /**
   * A channel left a bridge. Our media channel leaving the call's bridge while the call is live (Asterisk found no
   * translation path between the caller's codec and the media format, or someone removed it) leaves the caller
   * without audio: the call ends at once as `media_left_bridge`. A bridge exit that is part of a hangup is not one.
   */
  #onLeftBridge(channelId: string, bridgeId: string): void {
    const session = this.#own.get(channelId);
    if (!session || session.closing || this.#hangingUp.has(channelId)) return;
    const tel = session.telephony;
    if (!(tel instanceof AriCallTelephony)) return;
    const r = tel.resources;
    if (r.mediaChannelId !== channelId || r.bridgeId !== bridgeId) return;
    session.log.warn(
      { channel: channelId, bridge: bridgeId, caller: r.callerChannelId },
      'media channel left the bridge (no translation path to the caller, or removed); ending the call',
    );
    session.record('media.left_bridge', { channel: channelId, bridge: bridgeId });
    void session.close('media_left_bridge');
  }
}
