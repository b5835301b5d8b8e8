/**
 * State of the simulated Asterisk: channels, bridges, playbacks and recordings as Asterisk 22.10 keeps them,
 * and the snapshots (ARI JSON) built from them.
 */
import type {
  Bridge,
  CallerId,
  Channel,
  ChannelState,
  DialplanCep,
  LiveRecording,
  Playback,
} from '../../protocols/ari/index.js';
import type { AudioSocketLeg } from './audiosocket-link.js';

/** Channel technology, the part of the name before the first `/`. */
export type SimChannelTech = 'PJSIP' | 'AudioSocket' | 'UnicastRTP' | 'WebSocket' | 'Snoop';

/**
 * How the channel came to exist. `dialplan` channels entered Stasis from the dialplan: the application stops
 * receiving their events after StasisEnd (no ChannelDestroyed). `ari` channels were created through ARI
 * (originate, externalMedia, snoop): their StasisEnd is followed by `STASISSTATUS` and `ChannelDestroyed`.
 */
export type SimChannelOrigin = 'dialplan' | 'ari';

export interface SimChannel {
  readonly id: string;
  readonly name: string;
  readonly tech: SimChannelTech;
  readonly origin: SimChannelOrigin;
  state: ChannelState;
  readonly protocolId: string;
  caller: CallerId;
  connected: CallerId;
  dialplan: DialplanCep;
  readonly creationtime: string;
  readonly vars: Map<string, string>;
  /** Variables Asterisk returns in the creation response (externalMedia). */
  readonly channelvars: Readonly<Record<string, string>> | undefined;
  /** The Stasis application this channel belongs to, once known. */
  app: string | undefined;
  /** Whether `app` receives this channel's events. */
  subscribed: boolean;
  inStasis: boolean;
  stasisArgs: readonly string[];
  bridgeId: string | undefined;
  /** The AudioSocket connection of an AudioSocket channel. */
  leg: AudioSocketLeg | undefined;
  /** Opaque audio of a simulated caller, handed to the AudioSocket dialer of the channel it is bridged with. */
  readonly audio: unknown;
  /** The dialplan place the channel returns to after Stasis (ARI-created channels). */
  readonly homeDialplan: DialplanCep;
  /** Settles the AudioSocket dial request's `source` once the channel is bridged or ends. */
  sourceResolver: ((audio: unknown) => void) | undefined;
  /** Set when the channel's teardown started (it runs once). */
  ending: boolean;
}

export interface SimBridge {
  readonly id: string;
  name: string;
  readonly technology: string;
  readonly bridgeType: string;
  readonly creationtime: string;
  readonly channels: string[];
  app: string | undefined;
  /**
   * How many channel joins keep the application subscribed to the bridge. A join adds one; a channel moved to
   * another bridge or removed with removeChannel takes one away; a hangup does not. With none left, the
   * application gets no BridgeDestroyed (recorded in 07-errors: the bridge a channel was moved out of).
   */
  subscriptions: number;
  /** The music-on-hold class playing to the bridge (`POST /bridges/{id}/moh`), if any. */
  moh?: string | undefined;
}

export interface SimPlayback {
  readonly playback: Playback;
  readonly media: readonly string[];
  readonly app: string | undefined;
  readonly targetChannelId: string | undefined;
  readonly targetBridgeId: string | undefined;
  timer: NodeJS.Timeout | undefined;
  index: number;
}

export interface SimRecording {
  recording: LiveRecording;
  readonly app: string | undefined;
  readonly targetChannelId: string | undefined;
  readonly startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

/** The JSON of a channel as Asterisk 22.10 writes it (key order as recorded). */
export function channelSnapshot(ch: SimChannel, withVars = false): Channel {
  const snap: Channel = {
    id: ch.id,
    name: ch.name,
    state: ch.state,
    protocol_id: ch.protocolId,
    caller: { ...ch.caller },
    connected: { ...ch.connected },
    accountcode: '',
    dialplan: { ...ch.dialplan },
    creationtime: ch.creationtime,
    language: 'en',
  };
  if (withVars && ch.channelvars) snap.channelvars = { ...ch.channelvars };
  return snap;
}

/** The JSON of a bridge as Asterisk 22.10 writes it. */
export function bridgeSnapshot(b: SimBridge): Bridge {
  return {
    id: b.id,
    technology: b.technology,
    bridge_type: b.bridgeType,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: b.name,
    channels: [...b.channels],
    creationtime: b.creationtime,
    video_mode: 'talker',
  };
}

/** Asterisk's timestamp format: `2026-11-22T07:08:24.655+0000` (UTC, millisecond precision). */
export function asteriskTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
