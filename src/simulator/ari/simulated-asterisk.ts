/**
 * A simulated Asterisk 22.10 speaking ARI over real sockets: REST on node:http and the `/ari/events`
 * WebSocket, with channel and bridge state, recorded status codes, error bodies and event order, and a driving
 * API for tests and the demo (place inbound calls, decide how originated calls are answered, drop the events
 * connections, restart).
 *
 * ```ts
 * const sim = await startSimulatedAsterisk({ username: 'adapter', password: 'secret' });
 * const call = await sim.placeInboundCall({ caller: '+4930123', extension: '100' });
 * call.sendDtmf('1');
 * await call.hangup();
 * await sim.close();
 * ```
 */
import type { Logger } from '../../observability/logger.js';
import { onceAsync } from '../../lib/once.js';
import type { Bridge, CallerId, Channel } from '../../protocols/ari/index.js';
import type { AudioSource } from '../audio/audio-source.js';
import { audioSocketDialerLink } from './audiosocket-dialer-link.js';
import { ChanWebSocketServer, type ChanWebSocketServerOptions } from './chan-websocket-server.js';
import type { SimChanWebSocket } from './sim-chan-websocket.js';
import { SimRtpMedia, type SimRtpMediaOptions } from './sim-rtp-media.js';
import type { SimUnicastRtp } from './sim-unicast-rtp.js';
import type { AudioSocketDial } from './audiosocket-link.js';
import { EventHub, type HubDelivery } from './event-hub.js';
import { bridgeRoutes } from './rest-bridges.js';
import { channelRoutes } from './rest-channels.js';
import { AriHttpServer } from './rest-server.js';
import { systemRoutes } from './rest-system.js';
import { SimCore } from './sim-core.js';
import { SimMedia } from './sim-media.js';
import { bridgeSnapshot, channelSnapshot } from './sim-model.js';
import { type EndpointBehaviour, type EndpointBehaviourOptions, SimOriginate } from './sim-originate.js';
import { SimulatedChannel } from './simulated-channel.js';

export interface SimulatedAsteriskOptions<A = AudioSource> {
  /** ARI user; requests with other credentials get 401. */
  readonly username: string;
  readonly password: string;
  /** Stasis application inbound calls enter by default. Default `voice-adapter`. */
  readonly app?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /**
   * Opens the AudioSocket connection of an externalMedia channel. Default: the simulated AudioSocket dialer
   * (`audioSocketDialerLink()`), sending the bridged caller's `audio`. `false`: AudioSocket channels are created
   * without connecting.
   */
  readonly audioSocket?: { readonly dial: AudioSocketDial<A> } | false;
  /** `asterisk_id` of every event. Default the recorded `02:fc:00:00:00:01`. */
  readonly asteriskId?: string;
  /** Simulated length of each played media item. Default 300 ms. */
  readonly playbackMs?: number;
  /** chan_websocket media connections (`/media/<id>`): queue limits, early audio, a hook per connection. */
  readonly chanWebSocket?: ChanWebSocketServerOptions;
  /**
   * UnicastRTP channels (externalMedia `encapsulation=rtp`): each binds a UDP socket and streams the bridged
   * caller's audio to `external_host`. `false`: channels are created without a socket (channelvars only).
   */
  readonly rtp?: SimRtpMediaOptions | false;
  /**
   * How long each externalMedia channel takes to enter Stasis after the REST answer, in ms (a number, or a
   * function asked per channel). Default 0: StasisStart right after the answer. Real Asterisk enters Stasis on
   * another thread, so an application may see the answer well before the StasisStart; `addChannel` before it is
   * `422 Channel not in Stasis application`.
   */
  readonly mediaStasisDelayMs?: number | (() => number);
  /** Modules `GET /asterisk/modules` lists; default those of the recorded 22.10.1, chan_websocket included. */
  readonly modules?: readonly string[];
  /** `system.version` of `GET /asterisk/info`; default the recorded 22.10.1. */
  readonly version?: string;
  readonly logger?: Logger;
}

export interface InboundCallOptions<A = AudioSource> {
  /** The caller's number, or name and number. Default `caller`. */
  readonly caller?: string | CallerId;
  /** Dialled extension. Default `100`. */
  readonly extension?: string;
  /** Dialplan context. Default `from-trunk`. */
  readonly context?: string;
  /** PJSIP endpoint the call comes from (channel `PJSIP/<endpoint>-<n>`). Default `caller`. */
  readonly endpoint?: string;
  /** Stasis application. Default the simulator's `app`. */
  readonly app?: string;
  /** `Stasis(app,args…)` arguments, the StasisStart `args`. */
  readonly stasisArgs?: readonly string[];
  /** What the caller says; handed to the AudioSocket dialer of the channel the call gets bridged with. */
  readonly audio?: A;
  /**
   * false: the call stays in the dialplan (Answer, Playback) and never enters Stasis, like extension 300 in
   * 07-errors. Default true.
   */
  readonly enterStasis?: boolean;
}

export interface SimulatedAsterisk<A = AudioSource> {
  /** `http://host:port` (the ARI root is `${url}/ari`). */
  readonly url: string;
  readonly port: number;
  /** A caller dials in: answered by the dialplan, then StasisStart in state Up (recorded order). */
  placeInboundCall(options?: InboundCallOptions<A>): Promise<SimulatedChannel>;
  /** How originated calls to `endpoint` (`PJSIP/trunk`) behave. Unknown endpoints fail with 500. */
  setEndpointBehaviour(endpoint: string, behaviour: EndpointBehaviour, options?: EndpointBehaviourOptions): void;
  /**
   * Makes a channel vanish as if its end had been lost: no events, its media connection stays open (and, if its
   * caller stops sending, silent), and ARI answers 404 for it from now on. Returns whether it existed.
   */
  forgetChannel(id: string): boolean;
  /** Drops every events WebSocket without a close frame. Returns how many were dropped. */
  dropEventSockets(): number;
  /** Whether an events connection has registered `app`. */
  isAppConnected(app?: string): boolean;
  /** Snapshots of every live channel / bridge (leak checks). */
  channels(): Channel[];
  bridges(): Bridge[];
  /** The music-on-hold class playing to a bridge (`POST /bridges/{id}/moh`), or undefined. */
  bridgeMoh(bridgeId: string): string | undefined;
  /** The handle of a channel (also of one that has ended, while remembered). */
  channel(id: string): SimulatedChannel | undefined;
  /** Completes the media connection of a WebSocket externalMedia channel; it then enters Stasis. */
  completeWebSocketMedia(channelId: string): boolean;
  /** chan_websocket media connections made so far, in order. */
  mediaWebSockets(): readonly SimChanWebSocket[];
  /** UnicastRTP streams opened so far, in order. */
  rtpStreams(): readonly SimUnicastRtp[];
  /** How many events reached an events socket. */
  eventsDelivered(): number;
  /** Every event produced, with whether a socket received it. */
  eventLog(): readonly HubDelivery[];
  /**
   * Simulates an Asterisk restart: connections drop, every channel, bridge, playback and recording vanishes
   * without events, and after `downtimeMs` (default 0) the same port accepts connections again.
   */
  restart(options?: { readonly downtimeMs?: number }): Promise<void>;
  /** Stops everything. Idempotent. */
  close(): Promise<void>;
}

const REMEMBERED_HANDLES = 2000;

export async function startSimulatedAsterisk<A = AudioSource>(
  options: SimulatedAsteriskOptions<A>,
): Promise<SimulatedAsterisk<A>> {
  const defaultApp = options.app ?? 'voice-adapter';
  const host = options.host ?? '127.0.0.1';
  const aborter = new AbortController();
  const handles = new Map<string, SimulatedChannel>();
  const pendingWebSockets = new Map<string, () => void>();
  const mediaSockets = new ChanWebSocketServer(options.chanWebSocket);
  const rtpMedia = options.rtp === false ? undefined : new SimRtpMedia(options.rtp);
  let startedAt = Date.now();
  let sipCalls = 0;
  let media: SimMedia | undefined;
  let originate: SimOriginate | undefined;

  const hub = new EventHub({ asteriskId: options.asteriskId ?? '02:fc:00:00:00:01', onChange: () => undefined });
  const core: SimCore = new SimCore({
    asteriskId: options.asteriskId ?? '02:fc:00:00:00:01',
    hub,
    observe: (ch) => {
      const handle = new SimulatedChannel(core, ch, (id) => originate?.answer(id) ?? false);
      handles.set(ch.id, handle);
      if (handles.size > REMEMBERED_HANDLES) {
        for (const [id, h] of handles) {
          if (!h.alive) {
            handles.delete(id);
            break;
          }
        }
      }
      return handle;
    },
    onChannelEnding: (ch) => {
      media?.channelEnding(ch);
      originate?.channelEnding(ch);
      pendingWebSockets.delete(ch.id);
    },
  });
  media = new SimMedia(core, options.playbackMs ?? 300);
  originate = new SimOriginate(core);
  const dial: AudioSocketDial | undefined =
    options.audioSocket === false
      ? undefined
      : ((options.audioSocket?.dial ?? audioSocketDialerLink()) as AudioSocketDial);

  const activeApps = () => {
    const names = new Set<string>();
    for (const ch of core.channels.values()) if (ch.app !== undefined) names.add(ch.app);
    names.add(defaultApp);
    return [...names].filter((n) => hub.isActive(n));
  };

  const routes = [
    ...channelRoutes({
      core,
      media,
      originate,
      dial,
      signal: aborter.signal,
      dtmfSent: (ch, sent) => handles.get(ch.id)?.recordDtmf(sent),
      pendingWebSockets,
      mediaSockets,
      rtpMedia,
      mediaStasisDelayMs: (() => {
        const d = options.mediaStasisDelayMs;
        return typeof d === 'function' ? d : d === undefined ? undefined : () => d;
      })(),
    }),
    ...bridgeRoutes({ core, media }),
    ...systemRoutes(
      {
        core,
        media,
        originate,
        startedAt: () => startedAt,
        isActive: (app) => hub.isActive(app),
        version: options.version,
        modules: options.modules,
      },
      activeApps,
    ),
  ];
  const http = new AriHttpServer({
    username: options.username,
    password: options.password,
    routes,
    onEventsUpgrade: (req, socket, head, apps, subscribeAll) => hub.accept(req, socket, head, apps, subscribeAll),
    onMediaUpgrade: (req, socket, head, connectionId) => mediaSockets.upgrade(req, socket, head, connectionId),
    logger: options.logger,
  });
  const port = await http.listen(host, options.port ?? 0);

  const placeInboundCall = async (call: InboundCallOptions<A> = {}): Promise<SimulatedChannel> => {
    const app = call.app ?? defaultApp;
    const enterStasis = call.enterStasis ?? true;
    if (enterStasis && !hub.isActive(app)) {
      throw new Error(`Stasis application "${app}" is not registered: no events connection is open for it`);
    }
    const caller: CallerId =
      typeof call.caller === 'object'
        ? call.caller
        : { name: call.caller ?? 'caller', number: call.caller ?? 'caller' };
    const context = call.context ?? 'from-trunk';
    const exten = call.extension ?? (enterStasis ? '100' : '300');
    sipCalls++;
    const ch = core.createChannel({
      name: core.nextPjsipName(call.endpoint ?? 'caller'),
      tech: 'PJSIP',
      origin: 'dialplan',
      state: 'Up',
      protocolId: `${sipCalls}-${process.pid}@127.0.0.1`,
      caller,
      dialplan: enterStasis
        ? { context, exten, priority: 3, app_name: 'Stasis', app_data: app }
        : { context, exten, priority: 2, app_name: 'Playback', app_data: 'demo-congrats' },
      audio: call.audio,
    });
    if (enterStasis) core.startStasis(ch, app, call.stasisArgs ?? [], false);
    const handle = handles.get(ch.id);
    if (!handle) throw new Error('simulated channel has no handle');
    return handle;
  };

  const close = onceAsync(async () => {
    aborter.abort();
    core.reset();
    media?.reset();
    originate?.reset();
    pendingWebSockets.clear();
    await mediaSockets.close();
    await rtpMedia?.close();
    await hub.close();
    await http.close();
  });

  return {
    url: `http://${host}:${port}`,
    port,
    placeInboundCall,
    setEndpointBehaviour: (endpoint, behaviour, opts) => originate?.setBehaviour(endpoint, behaviour, opts),
    forgetChannel: (id) => core.channels.delete(id),
    dropEventSockets: () => hub.dropAll(),
    isAppConnected: (app = defaultApp) => hub.isActive(app),
    channels: () => [...core.channels.values()].map((c) => channelSnapshot(c)),
    bridges: () => [...core.bridges.values()].map(bridgeSnapshot),
    bridgeMoh: (id) => core.bridges.get(id)?.moh,
    channel: (id) => handles.get(id),
    completeWebSocketMedia: (channelId) => {
      const complete = pendingWebSockets.get(channelId);
      complete?.();
      return complete !== undefined;
    },
    mediaWebSockets: () => mediaSockets.connections,
    rtpStreams: () => rtpMedia?.streams ?? [],
    eventsDelivered: () => hub.deliveredCount(),
    eventLog: () => hub.log(),
    restart: async (opts = {}) => {
      hub.dropAll();
      await http.close();
      core.reset();
      media?.reset();
      originate?.reset();
      pendingWebSockets.clear();
      startedAt = Date.now();
      const downtime = opts.downtimeMs ?? 0;
      if (downtime > 0) await new Promise((resolve) => setTimeout(resolve, downtime));
      await http.listen(host, port);
    },
    close,
  };
}
