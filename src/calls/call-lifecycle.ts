import type { AudioFormat } from '../audio/format.js';
import type { AmdResult } from './amd/amd-result.js';
import type { CloseReason, HangupInitiator } from './close-reason.js';
import type { ChannelLiveness, SilenceEndCause } from './silence-watchdog.js';
import type { CallLatency } from './turn-latency.js';
import type { AgentAction, WarmTransferFailure } from './voice-agent.js';

/**
 * The lifecycle events a call records, defined once: each type with the data it carries. `CallSession.record`
 * takes only these, and every consumer (call recorder → `call_events` and webhooks, metrics, console, demo)
 * switches over the same union. A new event is one entry here plus one in `PUBLIC_EVENT_NAME`; the compiler then
 * points at every switch that must handle it.
 */
export interface LifecycleEventData {
  /** A Stasis call entered the application. */
  'call.started': {
    direction: 'inbound' | 'outbound';
    channel: string;
    caller: string;
    exten: string;
    /** The caller's SIP Call-ID (PJSIP), when Asterisk reports one: the console's web phone finds its call by it. */
    protocolId?: string | undefined;
  };
  /** Setting the call up in Asterisk failed. */
  'ari.failed': { message: string };
  /** The adapter answered the caller's channel. */
  answered: Record<string, never>;
  /** The media channel was asked for: AudioSocket (`uuid`), chan_websocket (`connectionId`) or RTP (`rtpPort`). */
  'media.requested': {
    bridge: string;
    mediaChannel: string;
    format: string;
    uuid?: string | undefined;
    /** RTP: the adapter's UDP port the UnicastRTP channel sends to. */
    rtpPort?: number | undefined;
    connectionId?: string | undefined;
  };
  /** Asterisk took the media channel out of the call's bridge while the call was live; the call ends. */
  'media.left_bridge': { channel: string; bridge: string };
  /**
   * The media leg is attached and frames are paced; `worker` (MEDIA_WORKERS > 0): the media worker holding it, or
   * `primary` when the primary process does.
   */
  'media.connected': { format: AudioFormat; agent: string; worker?: number | 'primary' };
  /** The caller's audio stopped on the wire for a while and was filled with silence. */
  'media.gap': {
    startedAt: string;
    durationMs: number;
    filledFrames: number;
    open: boolean;
    leading: boolean;
  };
  /** The caller's media stopped and the leg is dead: the call is ended. */
  'media.timeout': { cause: SilenceEndCause; silentMs: number; liveness?: ChannelLiveness | undefined };
  /** Answering-machine detection decided (outbound calls that asked for it), before the agent started. */
  'amd.result': AmdResult;
  /** The agent did not start. */
  'agent.failed': { code: string; message: string };
  /** The agent is connected and the call is active. */
  'agent.connected': { kind: string };
  /** A DTMF digit from the caller. */
  dtmf: { digit: string };
  /** An action of the agent or the control plane. */
  action: AgentAction;
  /** A control command on the call (hangup through the API). */
  control: { type: 'hangup'; reason: string | null };
  /** A finished turn of a Realtime conversation. */
  transcript: { role: 'caller' | 'agent'; text: string; itemId: string | null; truncated?: boolean | undefined };
  'recording.started': { name: string; format: string };
  'recording.finished': { name: string; status: 'done' };
  /** WebRTC agent: codec chosen, connected, failed. */
  'webrtc.negotiated': { codec: string; payloadType: number; offered: string[] };
  'webrtc.connected': { codec: string | undefined };
  'webrtc.failed': { code: string; message: string; [detail: string]: unknown };
  /** Warm transfer steps (`warm-transfer.ts`): the person is dialled (`target`), rings, answers, hears the summary. */
  'transfer.started': { transferId: string; target: string; hold: 'agent' | 'moh'; reason?: string | undefined };
  'transfer.ringing': { transferId: string; channel: string };
  'transfer.answered': { transferId: string; channel: string };
  'transfer.summary_played': { transferId: string; via: 'prompt' | 'agent' | 'none' };
  /** The caller is bridged with the person (`bridge`); the agent leaves and the call ends as `transferred`. */
  'transfer.completed': { transferId: string; bridge: string };
  /** The transfer failed; the caller is back with the agent. `cause` is Asterisk's Q.850 cause, when there is one. */
  'transfer.failed': {
    transferId: string;
    reason: WarmTransferFailure;
    message: string;
    cause?: number | undefined;
    causeText?: string | undefined;
  };
  /** The call is over; `cause`/`text` are Asterisk's hangup cause, when it gave one. */
  'call.ended': {
    reason: CloseReason;
    initiator: HangupInitiator;
    cause?: number | undefined;
    text?: string | undefined;
    latency?: CallLatency | undefined;
  };
}

export type LifecycleEventType = keyof LifecycleEventData;

/** One recorded lifecycle event, discriminated by `type`. */
export type LifecycleEvent = {
  [K in LifecycleEventType]: { callId: string; type: K; at: Date; data: LifecycleEventData[K] };
}[LifecycleEventType];

/** The lifecycle event of type `K`. */
export type LifecycleEventOf<K extends LifecycleEventType> = Extract<LifecycleEvent, { type: K }>;

/**
 * The public call event names: what `call_events.type` stores and webhooks send (a public contract, listed in the
 * README). Their payload schemas live with the persistence (`jobs/call-event-types.ts`), keyed by these names.
 */
export const PUBLIC_CALL_EVENT_NAMES = [
  'call.created',
  'call.ringing',
  'call.answered',
  'call.media_connected',
  'call.media_gap',
  'call.state_changed',
  'call.agent_connected',
  'call.agent_disconnected',
  'call.dtmf',
  'call.amd_result',
  'call.transcript',
  'call.transferred',
  'call.transfer_started',
  'call.transfer_ringing',
  'call.transfer_answered',
  'call.transfer_summary_played',
  'call.transfer_completed',
  'call.transfer_failed',
  'call.playback_started',
  'call.playback_finished',
  'call.recording_started',
  'call.recording_finished',
  'call.error',
  'call.ended',
] as const;
export type PublicCallEventName = (typeof PUBLIC_CALL_EVENT_NAMES)[number];

/**
 * The one mapping from lifecycle events to public call events: the name each is published under, or `null` for
 * events that stay internal (console and logs only). `action` is published for transfers only; `media.requested`
 * is folded into `call.media_connected`. `call.created`, `call.answered` (outbound) and `call.state_changed` come
 * from the registry, the originate and the session's states, not from this stream.
 */
export const PUBLIC_EVENT_NAME = {
  'call.started': null,
  'ari.failed': 'call.error',
  answered: null,
  'media.requested': null,
  'media.left_bridge': null,
  'media.connected': 'call.media_connected',
  'media.gap': 'call.media_gap',
  'media.timeout': null,
  'amd.result': 'call.amd_result',
  'agent.failed': 'call.error',
  'agent.connected': 'call.agent_connected',
  dtmf: 'call.dtmf',
  action: 'call.transferred',
  control: null,
  transcript: 'call.transcript',
  'recording.started': 'call.recording_started',
  'recording.finished': 'call.recording_finished',
  'webrtc.negotiated': null,
  'webrtc.connected': null,
  'webrtc.failed': null,
  'transfer.started': 'call.transfer_started',
  'transfer.ringing': 'call.transfer_ringing',
  'transfer.answered': 'call.transfer_answered',
  'transfer.summary_played': 'call.transfer_summary_played',
  'transfer.completed': 'call.transfer_completed',
  'transfer.failed': 'call.transfer_failed',
  'call.ended': 'call.ended',
} as const satisfies { [K in LifecycleEventType]: PublicCallEventName | null };

export const LIFECYCLE_EVENT_TYPES = Object.keys(PUBLIC_EVENT_NAME) as LifecycleEventType[];

/** Records a lifecycle event on a call; the data's shape follows from the type. */
export type RecordLifecycle = <K extends LifecycleEventType>(type: K, data: LifecycleEventData[K]) => void;

/** Records a lifecycle event on the call `callId`, if it is live. */
export type RecordCallLifecycle = <K extends LifecycleEventType>(
  callId: string,
  type: K,
  data: LifecycleEventData[K],
) => void;
