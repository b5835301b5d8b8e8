import { randomUUID } from 'node:crypto';
import type { Route } from '../config/routes.js';
import { AppError } from '../errors/app-error.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import type { Logger } from '../observability/logger.js';
import type { AriEvent, Channel } from '../protocols/ari/index.js';
import type { AriClient } from '../transports/ari/ari-client.js';
import type { AriEventStream } from '../transports/ari/ari-event-stream.js';
import type { UuidRegistry } from '../transports/audiosocket/uuid-registry.js';
import { ADD_CHANNEL_RETRY, addChannelWhenInStasis, isGone, MediaStasisTracker, whileLive } from './ari-setup.js';
import { AriCallTelephony } from './ari-telephony.js';
import { type AsteriskCapabilities, mediaPathProblem, probeAsterisk } from './asterisk-capabilities.js';
import type { CallRegistry } from './call-registry.js';
import type { CallSession } from './call-session.js';
import type { RouteMatcher } from './route-matcher.js';
import type { CallInfo } from './voice-agent.js';
import { setUpWebSocketMedia, type WebSocketMediaOptions } from './websocket-media-setup.js';

/** What the controller needs to make a call session (the composition root supplies it). */
export type SessionMaker = (info: Omit<CallInfo, 'legFormat'>, extra: { telephony: AriCallTelephony }) => CallSession;

export interface OriginateRequest {
  /** Id the call gets (the control plane assigns it up front); a new UUID when absent. */
  callId?: string | undefined;
  /** `PJSIP/+4930123@trunk`, `PJSIP/alice`, or a `Local/...` channel. */
  endpoint: string;
  route: Route;
  callerId?: string | undefined;
  /** Seconds to ring before giving up. */
  timeoutSec?: number | undefined;
  variables?: Record<string, string> | undefined;
  customParameters?: Record<string, string> | undefined;
}

export interface OriginateResult {
  callId: string;
  channelId: string;
}

export interface StasisControllerOptions {
  ari: AriClient;
  events: AriEventStream;
  app: string;
  registry: CallRegistry;
  routes: RouteMatcher;
  /** Route for Stasis calls no route matches (undefined: such calls are hung up). */
  defaultRoute: Route | undefined;
  expectedUuids: UuidRegistry<CallSession>;
  makeSession: SessionMaker;
  /** `host:port` Asterisk dials for the AudioSocket externalMedia channel (asked per call: the port may be bound late). */
  audioSocketHost: () => string;
  uuidTtlMs: number;
  /** chan_websocket settings for routes with `media: websocket`; such calls are refused without it. */
  websocketMedia?: WebSocketMediaOptions | undefined;
  accepting: () => boolean;
  /** Longest wait for an AudioSocket media channel's StasisStart before it is bridged. Default 5000 ms. */
  mediaStasisTimeoutMs?: number | undefined;
  logger: Logger;
}

export interface StasisControllerEvents {
  [key: string]: unknown[];
  /** Asterisk accepted an originate: the far end is being dialled. */
  originated: [o: { callId: string; channelId: string; endpoint: string; route: string }];
  /** An originated call was not answered (busy, no answer, failure): it will never become a session. */
  originateFailed: [o: { callId: string; channelId: string; route: string; error: AppError }];
  /** A reconcile pass finished (after start and after every events reconnect). */
  reconciled: [result: { adopted: number; orphanChannels: number; orphanBridges: number; endedCalls: number }];
}

interface PendingOriginate {
  request: OriginateRequest;
  callId: string;
  resolve: (r: OriginateResult) => void;
  reject: (e: AppError) => void;
  lastDialStatus: string;
}

/** Q.850 causes an unanswered originate ends with, as the error codes callers see. */
function originateFailure(cause: number, causeTxt: string, dialStatus: string): AppError {
  const code =
    dialStatus === 'BUSY' || cause === 17
      ? 'ORIGINATE_BUSY'
      : dialStatus === 'NOANSWER' || cause === 19 || cause === 18
        ? 'ORIGINATE_NO_ANSWER'
        : 'ORIGINATE_FAILED';
  return new AppError(`call was not answered: ${causeTxt} (cause ${cause}${dialStatus ? `, ${dialStatus}` : ''})`, {
    code,
    category: 'application',
    details: { cause, causeTxt, dialStatus },
  });
}

/**
 * Drives Stasis calls over ARI. A caller's StasisStart becomes a CallSession: (answer,) mixing bridge, AudioSocket
 * externalMedia channel with a registered UUID, both bridged; the media leg attaches when the AudioSocket connects.
 * It recognises its own media and originated legs, maps ARI events to the session, and reconciles with Asterisk
 * after the events socket comes back or the adapter restarts, so no channel or bridge is left behind.
 */
export class StasisController extends TypedEmitter<StasisControllerEvents> {
  readonly #o: StasisControllerOptions;
  readonly #log: Logger;
  /** Channel ids this controller created (media legs, originated calls) → the session they belong to. */
  readonly #own = new Map<string, CallSession>();
  readonly #pendingOriginates = new Map<string, PendingOriginate>();
  readonly #playbackWaiters = new Map<string, () => void>();
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
    let caps: AsteriskCapabilities;
    try {
      caps = await probeAsterisk(this.#o.ari);
    } catch (err) {
      this.#log.warn(
        { error: err instanceof Error ? err.message : String(err) },
        'could not read the Asterisk version and modules; media paths not checked',
      );
      return;
    }
    this.#capabilities = caps;
    this.#refused.clear();
    const routes = [...this.#o.routes.routes, ...(this.#o.defaultRoute ? [this.#o.defaultRoute] : [])];
    for (const route of routes) {
      const problem = mediaPathProblem(route, caps, this.#o.websocketMedia?.controlFormat ?? 'json');
      if (!problem) continue;
      this.#refused.set(route.name, problem);
      this.#log.error({ route: route.name, asterisk: caps.version }, `route refused: ${problem}`);
    }
    this.#log.info(
      {
        version: caps.version,
        audioSocket: caps.audioSocket,
        chanWebSocket: caps.chanWebSocket,
        refused: this.#refused.size,
      },
      'Asterisk capabilities',
    );
  }

  /** Probes capabilities, subscribes to events, connects, then reconciles (hangs up what a previous run left). */
  async start(): Promise<void> {
    await this.probeMediaPaths();
    this.#o.events.on('event', this.#onEvent);
    this.#o.events.on('reconnected', this.#onReconnected);
    await this.#o.events.start();
    await this.reconcile();
  }

  async stop(): Promise<void> {
    this.#o.events.off('event', this.#onEvent);
    this.#o.events.off('reconnected', this.#onReconnected);
    for (const p of this.#pendingOriginates.values()) {
      p.reject(
        new AppError('adapter is shutting down', { code: 'SHUTTING_DOWN', category: 'server', retryable: true }),
      );
    }
    this.#pendingOriginates.clear();
    await this.#o.events.close();
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
  startOriginate(
    request: OriginateRequest,
  ): Promise<{ callId: string; channelId: string; answered: Promise<OriginateResult> }> {
    const channelId = `ava-${randomUUID()}`;
    const callId = request.callId ?? randomUUID();
    let settle!: { resolve: (r: OriginateResult) => void; reject: (e: AppError) => void };
    const answered = new Promise<OriginateResult>((resolve, reject) => {
      settle = { resolve, reject };
    });
    answered.catch(() => undefined);
    this.#pendingOriginates.set(channelId, {
      request,
      callId,
      lastDialStatus: '',
      resolve: settle.resolve,
      reject: (e) => {
        this.emit('originateFailed', { callId, channelId, route: request.route.name, error: e });
        settle.reject(e);
      },
    });
    return this.#o.ari.channels
      .originate({
        endpoint: request.endpoint,
        app: this.#o.app,
        appArgs: ['outbound', request.route.name],
        channelId,
        ...(request.callerId ? { callerId: request.callerId } : {}),
        ...(request.timeoutSec ? { timeout: request.timeoutSec } : {}),
        ...(request.variables ? { variables: request.variables } : {}),
      })
      .then(
        () => {
          this.#log.info({ channelId, endpoint: request.endpoint, callId }, 'originate sent');
          this.emit('originated', { callId, channelId, endpoint: request.endpoint, route: request.route.name });
          return { callId, channelId, answered };
        },
        (err: unknown) => {
          this.#pendingOriginates.delete(channelId);
          throw err instanceof AppError
            ? err
            : new AppError('originate failed', { code: 'ORIGINATE_FAILED', category: 'server', cause: err });
        },
      );
  }

  /** Waits for a playback's PlaybackFinished (or the timeout). */
  waitPlayback = (playbackId: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#playbackWaiters.delete(playbackId);
        resolve();
      }, timeoutMs);
      this.#playbackWaiters.set(playbackId, () => {
        clearTimeout(timer);
        this.#playbackWaiters.delete(playbackId);
        resolve();
      });
    });

  /**
   * Brings our view and Asterisk's into line: live sessions whose caller channel is gone end; channels and bridges
   * in our application that no live call owns are hung up / destroyed.
   */
  async reconcile(): Promise<{ adopted: number; orphanChannels: number; orphanBridges: number; endedCalls: number }> {
    const ari = this.#o.ari;
    const [channels, app] = await Promise.all([
      ari.channels.list(),
      ari.applications.get(this.#o.app).catch(() => undefined),
    ]);
    const existing = new Set(channels.map((c) => c.id));
    let endedCalls = 0;
    for (const session of this.#o.registry.list()) {
      const tel = session.telephony;
      if (!(tel instanceof AriCallTelephony)) continue;
      if (!existing.has(tel.resources.callerChannelId)) {
        endedCalls += 1;
        this.#log.info({ callId: session.id }, 'caller channel is gone after reconnect; ending call');
        void session.close('caller_hangup');
      }
    }
    const appChannels = new Set(app?.channel_ids ?? []);
    let adopted = 0;
    let orphanChannels = 0;
    for (const ch of channels) {
      const inOurApp =
        appChannels.has(ch.id) ||
        (ch.dialplan.app_name === 'Stasis' && (ch.dialplan.app_data ?? '').split(',')[0] === this.#o.app);
      if (!inOurApp) continue;
      if (this.#o.registry.get(ch.id) || this.#own.has(ch.id) || this.#pendingOriginates.has(ch.id)) {
        adopted += 1;
        continue;
      }
      orphanChannels += 1;
      this.#log.warn({ channel: ch.id, name: ch.name }, 'orphan channel in our application; hanging up');
      await ari.channels
        .hangup(ch.id)
        .catch((err: unknown) => this.#log.warn({ err, channel: ch.id }, 'orphan hangup failed'));
    }
    let orphanBridges = 0;
    const liveBridges = new Set(
      this.#o.registry
        .list()
        .map((s) => (s.telephony instanceof AriCallTelephony ? s.telephony.resources.bridgeId : undefined))
        .filter((b): b is string => b !== undefined),
    );
    for (const bridgeId of app?.bridge_ids ?? []) {
      if (liveBridges.has(bridgeId)) continue;
      orphanBridges += 1;
      this.#log.warn({ bridge: bridgeId }, 'orphan bridge in our application; destroying');
      await ari.bridges
        .destroy(bridgeId)
        .catch((err: unknown) => this.#log.warn({ err, bridge: bridgeId }, 'orphan bridge destroy failed'));
    }
    const result = { adopted, orphanChannels, orphanBridges, endedCalls };
    this.#log.info(result, 'reconciled with Asterisk');
    this.emit('reconciled', result);
    return result;
  }

  #handle(ev: AriEvent): void {
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
      case 'Dial': {
        const pending = this.#pendingOriginates.get(ev.peer.id);
        if (pending && ev.dialstatus) pending.lastDialStatus = ev.dialstatus;
        return;
      }
      case 'PlaybackFinished':
        this.#playbackWaiters.get(ev.playback.id)?.();
        return;
      case 'ChannelLeftBridge':
        this.#onLeftBridge(ev.channel.id, ev.bridge.id);
        return;
      default:
        return;
    }
  }

  #onChannelGone(channelId: string, cause: number | undefined, causeTxt: string | undefined, via: string): void {
    const pending = this.#pendingOriginates.get(channelId);
    if (pending && via === 'ChannelDestroyed') {
      this.#pendingOriginates.delete(channelId);
      this.#log.info({ channelId, cause, dialStatus: pending.lastDialStatus }, 'originated call not answered');
      pending.reject(originateFailure(cause ?? 0, causeTxt ?? 'Unknown', pending.lastDialStatus));
      return;
    }
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
        void own.close(isCaller ? 'caller_hangup' : 'media_closed');
      }
      return;
    }
    const session = this.#o.registry.get(channelId);
    if (!session) return;
    if (cause !== undefined) session.setHangupCause(cause, causeTxt);
    void session.close('caller_hangup');
  }

  #onStasisStart(channel: Channel, args: readonly string[]): void {
    if (this.#own.has(channel.id) || channel.name.startsWith('AudioSocket/') || channel.name.startsWith('WebSocket/')) {
      // Our own media leg entering Stasis, before or after its externalMedia answer was processed.
      this.#mediaStasis.started(channel.id);
      return;
    }
    const pending = this.#pendingOriginates.get(channel.id);
    if (pending) {
      this.#pendingOriginates.delete(channel.id);
      const session = this.#startCall(
        channel,
        'outbound',
        pending.request.route,
        pending.callId,
        pending.request.customParameters ?? {},
      );
      this.#own.set(channel.id, session);
      pending.resolve({ callId: session.id, channelId: channel.id });
      return;
    }
    if (args[0] === 'outbound') {
      // An outbound call from a previous run of the adapter (or another instance): not ours to serve.
      this.#log.warn(
        { channel: channel.id },
        'StasisStart of an outbound call this instance did not originate; hanging up',
      );
      void this.#o.ari.channels.hangup(channel.id).catch(() => {});
      return;
    }
    const log = this.#log.child({ channel: channel.id });
    const query = {
      stasisArg: args[0],
      extension: channel.dialplan.exten,
      caller: channel.caller.number,
      callee: channel.dialplan.exten,
    };
    const route = this.#o.routes.match(query) ?? this.#o.defaultRoute;
    if (!this.#o.accepting()) {
      log.info({ route: route?.name }, 'not accepting calls (shutting down); new caller gets the fallback');
      void this.#refuseWithFallback(channel, route);
      return;
    }
    if (!route) {
      log.warn(query, 'no route for this call; hanging up');
      void this.#o.ari.channels.hangup(channel.id, { reason: 'unallocated' }).catch(() => {});
      return;
    }
    const refused = this.#refused.get(route.name);
    if (refused) {
      log.error({ route: route.name }, `call refused: ${refused}`);
      void this.#o.ari.channels.hangup(channel.id, { reason: 'congestion' }).catch(() => {});
      return;
    }
    if (
      route.callerAllowlist &&
      !route.callerAllowlist.some((p) => new RegExp(`^(?:${p})$`).test(channel.caller.number))
    ) {
      log.warn({ caller: channel.caller.number, route: route.name }, 'caller not on the route allowlist; rejecting');
      void this.#o.ari.channels.hangup(channel.id, { reason: 'rejected' }).catch(() => {});
      return;
    }
    this.#startCall(channel, 'inbound', route, randomUUID(), args[0] !== undefined ? { stasisArg: args[0] } : {});
  }

  /** A call that cannot be served now: the route's fallback announcement (when it has one), then hang up. */
  async #refuseWithFallback(channel: Channel, route: Route | undefined): Promise<void> {
    const ari = this.#o.ari;
    try {
      if (route?.fallback.action === 'play') {
        if (channel.state !== 'Up') await ari.channels.answer(channel.id);
        const playbackId = `${channel.id}-refused`;
        const finished = this.waitPlayback(playbackId, 30_000);
        await ari.channels.play(channel.id, { media: route.fallback.media, playbackId });
        await finished;
      }
    } catch (err) {
      this.#log.warn({ err, channel: channel.id }, 'fallback announcement failed');
    }
    await ari.channels.hangup(channel.id, { reason: 'congestion' }).catch(() => {});
  }

  #startCall(
    channel: Channel,
    direction: 'inbound' | 'outbound',
    route: Route,
    callId: string,
    customParameters: Record<string, string>,
  ): CallSession {
    const resources = { callerChannelId: channel.id } as AriCallTelephony['resources'];
    const telephony = new AriCallTelephony(this.#o.ari, resources, this.waitPlayback, this.#log.child({ callId }));
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
    this.#setUpMedia(session, channel, telephony).catch((err: unknown) => this.#setUpFailed(session, err));
    return session;
  }

  /**
   * A set-up step failed. A call that is already ending (caller hung up, agent gone) is not a failure; nor is a
   * step refused because the caller's channel is gone and its hangup events are still on their way.
   */
  async #setUpFailed(session: CallSession, err: unknown): Promise<void> {
    if (session.closing) {
      session.log.debug({ err }, 'set-up step ended by the call ending');
      return;
    }
    const callerId = session.info.channelId;
    if (isGone(err) && callerId !== undefined) {
      const callerGone = await this.#o.ari.channels.get(callerId).then(
        () => false,
        (e: unknown) => isGone(e),
      );
      if (callerGone || session.closing) {
        session.log.info({ channel: callerId }, 'caller left during set-up');
        return void session.close('caller_hangup');
      }
    }
    session.log.error({ err }, 'setting up the call in Asterisk failed');
    session.record('ari.failed', { message: err instanceof Error ? err.message : String(err) });
    void session.close('ari_failure');
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

  async #setUpMedia(session: CallSession, channel: Channel, telephony: AriCallTelephony): Promise<void> {
    const ari = this.#o.ari;
    const r = telephony.resources;
    if (channel.state !== 'Up') {
      await ari.channels.answer(channel.id);
      session.record('answered', {});
    }
    const bridge = await ari.bridges.create({ type: 'mixing', name: `ava-${session.id}` });
    r.bridgeId = bridge.id;
    if (session.closing) return void (await telephony.release());
    await addChannelWhenInStasis(ari, bridge.id, channel.id);
    if (session.info.route.media === 'websocket') return this.#setUpWebSocketMedia(session, bridge.id, telephony);
    const uuid = randomUUID();
    this.#o.expectedUuids.register(uuid, session, this.#o.uuidTtlMs);
    this.#o.registry.alias(session, uuid);
    const format = session.info.route.audioFormat === 'slin16' ? 'slin16' : 'slin';
    // The media channel's id is chosen here so that `media.requested` is recorded before Asterisk can connect the
    // AudioSocket (it may do so before the REST reply): lifecycle events stay in order, records get the ids.
    const mediaChannelId = randomUUID();
    session.record('media.requested', { bridge: bridge.id, mediaChannel: mediaChannelId, format, uuid });
    const media = await ari.channels.externalMedia({
      app: this.#o.app,
      channelId: mediaChannelId,
      external_host: this.#o.audioSocketHost(),
      encapsulation: 'audiosocket',
      transport: 'tcp',
      format,
      data: uuid,
    });
    r.mediaChannelId = media.id;
    this.#own.set(media.id, session);
    this.#o.registry.alias(session, media.id);
    if (session.closing) return void (await telephony.release());
    // Join only once the channel is in the application: its StasisStart may still be on its way.
    const live = whileLive(session);
    try {
      const timeout = AbortSignal.timeout(this.#o.mediaStasisTimeoutMs ?? 5000);
      await this.#mediaStasis.wait(media.id, AbortSignal.any([live.signal, timeout]));
      if (session.closing) return void (await telephony.release());
      await addChannelWhenInStasis(ari, bridge.id, media.id, { ...ADD_CHANNEL_RETRY, signal: live.signal }, (n) =>
        session.log.info({ channel: media.id, attempt: n }, 'media channel not in Stasis yet; retrying addChannel'),
      );
    } finally {
      live.dispose();
    }
  }

  async #setUpWebSocketMedia(session: CallSession, bridgeId: string, telephony: AriCallTelephony): Promise<void> {
    const options = this.#o.websocketMedia;
    if (!options) {
      throw new AppError(`route ${session.info.route.name} needs chan_websocket, which is not configured`, {
        code: 'MEDIA_PATH_UNAVAILABLE',
        category: 'configuration',
      });
    }
    await setUpWebSocketMedia({
      ari: this.#o.ari,
      app: this.#o.app,
      session,
      bridgeId,
      route: session.info.route,
      options,
      adopt: (id) => {
        telephony.resources.mediaChannelId = id;
        this.#own.set(id, session);
        this.#o.registry.alias(session, id);
      },
      stasisStarted: (channelId, signal) => this.#mediaStasis.wait(channelId, signal),
    });
  }
}
