/**
 * The behaviour of the simulated Asterisk: channel and bridge state and the events each change produces, in the
 * order a real Asterisk 22.10.1 produced them in the recorded scenarios (test/fixtures/asterisk-22.10).
 */
import type { CallerId, DialplanCep, KnownAriEvent } from '../../protocols/ari/index.js';
import { type EventStamp, ev } from './event-factory.js';
import type { EventHub } from './event-hub.js';
import {
  asteriskTimestamp,
  bridgeSnapshot,
  channelSnapshot,
  type SimBridge,
  type SimChannel,
  type SimChannelOrigin,
  type SimChannelTech,
} from './sim-model.js';

/** An ARI error answer: status and JSON body (`{"message": …}` or `{"error": …}`). */
export class SimHttpError extends Error {
  readonly status: number;
  readonly body: Readonly<Record<string, string>>;
  readonly statusText: string | undefined;

  constructor(status: number, body: Readonly<Record<string, string>>, statusText?: string) {
    super(`${status} ${body['message'] ?? body['error'] ?? ''}`);
    this.status = status;
    this.body = body;
    this.statusText = statusText;
  }
}

export function ariError(status: number, message: string, statusText?: string): SimHttpError {
  return new SimHttpError(status, { message }, statusText);
}

/**
 * How a channel ends. `remote`: the far end hung up (BYE). `ari`: `DELETE /channels/{id}`. `media-closed`: the
 * AudioSocket server closed the connection. `dial-failed`: an originated call was not answered (busy, no
 * answer). `silent`: gone without events (simulated restart).
 */
export type TeardownMode = 'remote' | 'ari' | 'media-closed' | 'dial-failed' | 'silent';

/** Receives what happens to one channel (the SimulatedChannel handle). */
export interface ChannelObserver {
  onEvent(event: KnownAriEvent): void;
  onEnded(info: ChannelEnd): void;
}

/** How a channel ended. */
export interface ChannelEnd {
  readonly cause: number;
  readonly mode: TeardownMode;
}

export interface NewChannel {
  readonly id?: string | undefined;
  readonly name: string;
  readonly tech: SimChannelTech;
  readonly origin: SimChannelOrigin;
  readonly state: SimChannel['state'];
  readonly protocolId?: string;
  readonly caller?: CallerId;
  readonly dialplan: DialplanCep;
  readonly channelvars?: Readonly<Record<string, string>>;
  readonly app?: string | undefined;
  readonly audio?: unknown;
  readonly variables?: Readonly<Record<string, string>> | undefined;
}

const QOS_VALUES: ReadonlyArray<readonly [string, string]> = [
  [
    'RTPAUDIOQOS',
    'ssrc=1081229285;themssrc=3390111744;lp=0;rxjitter=0.000000;rxcount=150;txjitter=0.000125;txcount=150;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000',
  ],
  [
    'RTPAUDIOQOSJITTER',
    'minrxjitter=000.000000;maxrxjitter=000.000875;avgrxjitter=000.000348;stdevrxjitter=000.000112;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;',
  ],
  [
    'RTPAUDIOQOSLOSS',
    '  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;',
  ],
  ['RTPAUDIOQOSRTT', '     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;'],
  [
    'RTPAUDIOQOSMES',
    '   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;',
  ],
];

export interface SimCoreOptions {
  readonly asteriskId: string;
  readonly hub: EventHub;
  /** Creates the observer (handle) of every new channel. */
  readonly observe: (channel: SimChannel) => ChannelObserver;
  /** Runs when a channel starts ending, before its events (stops its playbacks and recordings). */
  readonly onChannelEnding: (channel: SimChannel) => void;
}

export class SimCore {
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, SimBridge>();
  readonly asteriskId: string;
  readonly hub: EventHub;
  readonly #observers = new Map<string, ChannelObserver>();
  readonly #options: SimCoreOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #idCounter = 0;
  #pjsipCounter = 0;

  constructor(options: SimCoreOptions) {
    this.#options = options;
    this.asteriskId = options.asteriskId;
    this.hub = options.hub;
  }

  stamp(application: string): EventStamp {
    return { application, timestamp: asteriskTimestamp(Date.now()), asteriskId: this.asteriskId };
  }

  /** `<epoch seconds>.<counter>`, like Asterisk's unique ids. */
  nextChannelId(): string {
    return `${Math.floor(Date.now() / 1000)}.${this.#idCounter++}`;
  }

  nextPjsipName(resource: string): string {
    return `PJSIP/${resource}-${(this.#pjsipCounter++).toString(16).padStart(8, '0')}`;
  }

  /** Runs `fn` after `ms` unless the simulator stops first. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  cancelAllTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  createChannel(init: NewChannel): SimChannel {
    const id = init.id ?? this.nextChannelId();
    const ch: SimChannel = {
      id,
      name: init.name,
      tech: init.tech,
      origin: init.origin,
      state: init.state,
      protocolId: init.protocolId ?? '',
      caller: init.caller ?? { name: '', number: '' },
      connected: { name: '', number: '' },
      dialplan: { ...init.dialplan },
      creationtime: asteriskTimestamp(Date.now()),
      vars: new Map(Object.entries(init.variables ?? {})),
      channelvars: init.channelvars,
      app: init.app,
      subscribed: init.app !== undefined,
      inStasis: false,
      stasisArgs: [],
      bridgeId: undefined,
      leg: undefined,
      audio: init.audio,
      homeDialplan: { ...init.dialplan },
      sourceResolver: undefined,
      ending: false,
    };
    this.channels.set(id, ch);
    this.#observers.set(id, this.#options.observe(ch));
    return ch;
  }

  /** Emits an event about `ch` to its application, if the application is subscribed to it. */
  emit(ch: SimChannel, build: (stamp: EventStamp) => KnownAriEvent): void {
    if (!ch.subscribed || ch.app === undefined) return;
    const event = build(this.stamp(ch.app));
    this.#observers.get(ch.id)?.onEvent(event);
    this.hub.send(ch.app, event);
  }

  setVar(ch: SimChannel, variable: string, value: string): void {
    ch.vars.set(variable, value);
    this.emit(ch, (s) => ev.varset(s, variable, value, channelSnapshot(ch)));
  }

  setState(ch: SimChannel, state: SimChannel['state']): void {
    if (ch.state === state) return;
    ch.state = state;
    this.emit(ch, (s) => ev.stateChange(s, channelSnapshot(ch)));
  }

  /**
   * Puts the channel into Stasis. `viaDial` (channels ARI created) sets STASISSTATUS="" first, as recorded;
   * a dialplan `Stasis()` entry has StasisStart as its first event.
   */
  startStasis(ch: SimChannel, app: string, args: readonly string[], viaDial: boolean): void {
    ch.app = app;
    ch.subscribed = true;
    ch.inStasis = true;
    ch.stasisArgs = [...args];
    ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: [app, ...args].join(',') };
    if (viaDial) this.setVar(ch, 'STASISSTATUS', '');
    this.emit(ch, (s) => ev.stasisStart(s, args, channelSnapshot(ch)));
  }

  /** The Dial / StateChange / Dial(ANSWER) / StasisStart sequence of a channel ARI created and that answers. */
  dialAnswered(ch: SimChannel, dialstring: string, args: readonly string[]): void {
    const app = ch.app;
    if (app === undefined) return;
    this.emit(ch, (s) => ev.dial(s, '', dialstring, channelSnapshot(ch)));
    this.setState(ch, 'Up');
    this.emit(ch, (s) => ev.dial(s, 'ANSWER', dialstring, channelSnapshot(ch)));
    this.startStasis(ch, app, args, true);
  }

  dtmfReceived(ch: SimChannel, digit: string, durationMs: number): void {
    this.emit(ch, (s) => ev.dtmf(s, digit, durationMs, channelSnapshot(ch)));
    const peer = this.bridgePeer(ch);
    peer?.leg?.sendDtmf?.(digit);
  }

  /** The other channel of a two-party bridge. */
  bridgePeer(ch: SimChannel): SimChannel | undefined {
    const bridge = ch.bridgeId === undefined ? undefined : this.bridges.get(ch.bridgeId);
    if (!bridge || bridge.channels.length !== 2) return undefined;
    const otherId = bridge.channels.find((id) => id !== ch.id);
    return otherId === undefined ? undefined : this.channels.get(otherId);
  }

  enterBridge(ch: SimChannel, bridge: SimBridge): void {
    bridge.channels.push(ch.id);
    ch.bridgeId = bridge.id;
    bridge.subscriptions++;
    bridge.app ??= ch.app;
    this.emit(ch, (s) => ev.enteredBridge(s, bridgeSnapshot(bridge), channelSnapshot(ch)));
    if (bridge.channels.length === 2) this.#pairUp(bridge);
  }

  /** BRIDGEPEER both ways, then BRIDGEPVTCALLID and ConnectedLine on the side whose peer has a SIP Call-ID. */
  #pairUp(bridge: SimBridge): void {
    const [a, b] = bridge.channels.map((id) => this.channels.get(id));
    if (!a || !b) return;
    this.setVar(a, 'BRIDGEPEER', b.name);
    this.setVar(b, 'BRIDGEPEER', a.name);
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      if (peer.protocolId === '') continue;
      this.setVar(self, 'BRIDGEPVTCALLID', peer.protocolId);
      self.connected = { ...peer.caller };
      this.emit(self, (s) => ev.connectedLine(s, channelSnapshot(self)));
    }
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      self.sourceResolver?.(peer.audio);
      self.sourceResolver = undefined;
    }
  }

  /**
   * `why` decides whether the application stays subscribed to the bridge (see SimBridge.subscriptions).
   * `kicked`: Asterisk itself took the channel out (e.g. no translation path); it stays in Stasis.
   */
  leaveBridge(ch: SimChannel, why: 'hangup' | 'moved' | 'removed' | 'destroyed' | 'left-stasis' | 'kicked'): void {
    const bridge = ch.bridgeId === undefined ? undefined : this.bridges.get(ch.bridgeId);
    if (!bridge) return;
    for (const variable of ['BRIDGEPEER', 'BRIDGEPVTCALLID']) {
      if ((ch.vars.get(variable) ?? '') !== '') this.setVar(ch, variable, '');
    }
    const index = bridge.channels.indexOf(ch.id);
    if (index >= 0) bridge.channels.splice(index, 1);
    ch.bridgeId = undefined;
    this.emit(ch, (s) => ev.leftBridge(s, bridgeSnapshot(bridge), channelSnapshot(ch)));
    if (why === 'moved' || why === 'removed') bridge.subscriptions = Math.max(0, bridge.subscriptions - 1);
  }

  destroyBridge(bridge: SimBridge): void {
    for (const id of [...bridge.channels]) {
      const ch = this.channels.get(id);
      if (ch) this.leaveBridge(ch, 'destroyed');
    }
    this.bridges.delete(bridge.id);
    if (bridge.subscriptions > 0 && bridge.app !== undefined) {
      const event = ev.bridgeDestroyed(this.stamp(bridge.app), bridgeSnapshot(bridge));
      this.hub.send(bridge.app, event);
    }
  }

  /** Takes the channel out of Stasis (continue, redirect); it stays alive outside the application. */
  leaveStasis(ch: SimChannel): void {
    if (!ch.inStasis) return;
    if (ch.bridgeId !== undefined) this.leaveBridge(ch, 'left-stasis');
    ch.inStasis = false;
    this.emit(ch, (s) => ev.stasisEnd(s, channelSnapshot(ch)));
    if (ch.origin === 'ari') this.setVar(ch, 'STASISSTATUS', 'SUCCESS');
    else ch.subscribed = false;
  }

  /**
   * Ends a channel with the recorded event sequence:
   * PJSIP channels first report RTP QoS variables (mirrored as `…BRIDGED` on a two-party bridge peer); then
   * ChannelHangupRequest (none when the AudioSocket server closed the connection; without cause for a BYE;
   * cause 32 + soft for ARI); the bridge exit; StasisEnd; and for channels ARI created STASISSTATUS=SUCCESS and
   * ChannelDestroyed. Channels that entered Stasis from the dialplan get no ChannelDestroyed.
   */
  teardown(ch: SimChannel, mode: TeardownMode, cause = 16): void {
    if (ch.ending) return;
    ch.ending = true;
    if (mode === 'silent') ch.subscribed = false;
    this.#options.onChannelEnding(ch);
    if (ch.tech === 'PJSIP' && ch.state === 'Up') {
      const peer = this.bridgePeer(ch);
      for (const [variable, value] of QOS_VALUES) {
        this.setVar(ch, variable, value);
        if (peer) this.setVar(peer, `${variable}BRIDGED`, value);
      }
    }
    if (mode === 'remote') this.emit(ch, (s) => ev.hangupRequest(s, channelSnapshot(ch)));
    if (mode === 'ari') this.emit(ch, (s) => ev.hangupRequest(s, channelSnapshot(ch), { cause: 32 }));
    if (ch.bridgeId !== undefined) this.leaveBridge(ch, 'hangup');
    const wasInStasis = ch.inStasis;
    if (wasInStasis) {
      ch.inStasis = false;
      this.emit(ch, (s) => ev.stasisEnd(s, channelSnapshot(ch)));
    }
    if (ch.origin === 'ari') {
      if (wasInStasis) this.setVar(ch, 'STASISSTATUS', 'SUCCESS');
      ch.dialplan = { ...ch.homeDialplan };
      this.emit(ch, (s) => ev.destroyed(s, cause, channelSnapshot(ch)));
    }
    ch.subscribed = false;
    this.channels.delete(ch.id);
    ch.sourceResolver?.(undefined);
    ch.sourceResolver = undefined;
    if (mode !== 'media-closed' && ch.leg) {
      const leg = ch.leg;
      void Promise.resolve()
        .then(() => leg.hangup())
        .catch(() => undefined);
    }
    this.#observers.get(ch.id)?.onEnded({ cause, mode });
    this.#observers.delete(ch.id);
  }

  /** Ends everything without events (a restart or shutdown of the simulated Asterisk). */
  reset(): void {
    this.cancelAllTimers();
    for (const ch of [...this.channels.values()]) this.teardown(ch, 'silent');
    this.bridges.clear();
  }
}
