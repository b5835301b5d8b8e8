/**
 * ARI events (the messages of the `/ari/events` WebSocket) as a discriminated union on `type`.
 * Each known event has a zod schema; `AriUnknownEvent` stands for any event type this module does not know,
 * so a newer Asterisk never breaks parsing (see `parseAriEvent`).
 */
import { z } from 'zod';
import { BridgeSchema, ChannelSchema, EndpointSchema, LiveRecordingSchema, PlaybackSchema } from './resources.js';

/** Fields every ARI event carries. `asterisk_id` is the MAC-style entity id of the Asterisk that sent it. */
const base = {
  application: z.string(),
  timestamp: z.string(),
  asterisk_id: z.string().optional(),
};

function event<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...base, ...shape });
}

export const StasisStartSchema = event('StasisStart', {
  args: z.array(z.string()),
  channel: ChannelSchema,
  replace_channel: ChannelSchema.optional(),
});
export const StasisEndSchema = event('StasisEnd', { channel: ChannelSchema });
export const ChannelCreatedSchema = event('ChannelCreated', { channel: ChannelSchema });
export const ChannelStateChangeSchema = event('ChannelStateChange', { channel: ChannelSchema });
/** Sent when a DTMF digit ends; `duration_ms` is how long it lasted. */
export const ChannelDtmfReceivedSchema = event('ChannelDtmfReceived', {
  digit: z.string(),
  duration_ms: z.number().int(),
  channel: ChannelSchema,
});
/**
 * A hangup was requested. A caller's BYE gives neither `cause` nor `soft`; an ARI `DELETE /channels/{id}` gives
 * `cause: 32, soft: true` (32 is the soft-hangup flag, not a Q.850 cause).
 */
export const ChannelHangupRequestSchema = event('ChannelHangupRequest', {
  cause: z.number().int().optional(),
  soft: z.boolean().optional(),
  tech_cause: z.number().int().optional(),
  channel: ChannelSchema,
});
/** The channel is gone; `cause` is the Q.850 cause (16 = normal clearing). */
export const ChannelDestroyedSchema = event('ChannelDestroyed', {
  cause: z.number().int(),
  cause_txt: z.string(),
  tech_cause: z.number().int().optional(),
  channel: ChannelSchema,
});
/** A variable changed; without `channel` it is a global variable. */
export const ChannelVarsetSchema = event('ChannelVarset', {
  variable: z.string(),
  value: z.string(),
  channel: ChannelSchema.optional(),
});
export const ChannelDialplanSchema = event('ChannelDialplan', {
  dialplan_app: z.string(),
  dialplan_app_data: z.string(),
  channel: ChannelSchema,
});
export const ChannelCallerIdSchema = event('ChannelCallerId', {
  caller_presentation: z.number().int(),
  caller_presentation_txt: z.string(),
  channel: ChannelSchema,
});
export const ChannelConnectedLineSchema = event('ChannelConnectedLine', { channel: ChannelSchema });
export const ChannelEnteredBridgeSchema = event('ChannelEnteredBridge', {
  bridge: BridgeSchema,
  channel: ChannelSchema.optional(),
});
export const ChannelLeftBridgeSchema = event('ChannelLeftBridge', { bridge: BridgeSchema, channel: ChannelSchema });
export const ChannelHoldSchema = event('ChannelHold', { channel: ChannelSchema, musicclass: z.string().optional() });
export const ChannelUnholdSchema = event('ChannelUnhold', { channel: ChannelSchema });
export const ChannelTalkingStartedSchema = event('ChannelTalkingStarted', { channel: ChannelSchema });
/** `duration` is the talking time in milliseconds. */
export const ChannelTalkingFinishedSchema = event('ChannelTalkingFinished', {
  channel: ChannelSchema,
  duration: z.number().int(),
});
export const ChannelUsereventSchema = event('ChannelUserevent', {
  eventname: z.string(),
  userevent: z.record(z.string(), z.unknown()),
  channel: ChannelSchema.optional(),
  bridge: BridgeSchema.optional(),
  endpoint: EndpointSchema.optional(),
});
export const BridgeCreatedSchema = event('BridgeCreated', { bridge: BridgeSchema });
export const BridgeDestroyedSchema = event('BridgeDestroyed', { bridge: BridgeSchema });
export const BridgeMergedSchema = event('BridgeMerged', { bridge: BridgeSchema, bridge_from: BridgeSchema });
export const BridgeBlindTransferSchema = event('BridgeBlindTransfer', {
  channel: ChannelSchema,
  replace_channel: ChannelSchema.optional(),
  transferee: ChannelSchema.optional(),
  exten: z.string(),
  context: z.string(),
  result: z.string(),
  is_external: z.boolean(),
  bridge: BridgeSchema.optional(),
});
export const PlaybackStartedSchema = event('PlaybackStarted', { playback: PlaybackSchema });
export const PlaybackContinuingSchema = event('PlaybackContinuing', { playback: PlaybackSchema });
export const PlaybackFinishedSchema = event('PlaybackFinished', { playback: PlaybackSchema });
export const RecordingStartedSchema = event('RecordingStarted', { recording: LiveRecordingSchema });
export const RecordingFinishedSchema = event('RecordingFinished', { recording: LiveRecordingSchema });
export const RecordingFailedSchema = event('RecordingFailed', { recording: LiveRecordingSchema });
/**
 * Progress of a dial (originate, externalMedia, dialplan Dial). `dialstatus` is "" when dialling starts, then
 * e.g. RINGING, ANSWER, BUSY, NOANSWER, CHANUNAVAIL, CONGESTION, CANCEL.
 */
export const DialSchema = event('Dial', {
  caller: ChannelSchema.optional(),
  peer: ChannelSchema,
  forwarded: ChannelSchema.optional(),
  forward: z.string().optional(),
  dialstring: z.string().optional(),
  dialstatus: z.string(),
});
/** Another WebSocket registered the same application name; this connection no longer receives its events. */
export const ApplicationReplacedSchema = event('ApplicationReplaced', {});
export const EndpointStateChangeSchema = event('EndpointStateChange', { endpoint: EndpointSchema });

/** Every event type this module parses into a typed member of `AriEvent`. */
export const KnownAriEventSchema = z.discriminatedUnion('type', [
  StasisStartSchema,
  StasisEndSchema,
  ChannelCreatedSchema,
  ChannelStateChangeSchema,
  ChannelDtmfReceivedSchema,
  ChannelHangupRequestSchema,
  ChannelDestroyedSchema,
  ChannelVarsetSchema,
  ChannelDialplanSchema,
  ChannelCallerIdSchema,
  ChannelConnectedLineSchema,
  ChannelEnteredBridgeSchema,
  ChannelLeftBridgeSchema,
  ChannelHoldSchema,
  ChannelUnholdSchema,
  ChannelTalkingStartedSchema,
  ChannelTalkingFinishedSchema,
  ChannelUsereventSchema,
  BridgeCreatedSchema,
  BridgeDestroyedSchema,
  BridgeMergedSchema,
  BridgeBlindTransferSchema,
  PlaybackStartedSchema,
  PlaybackContinuingSchema,
  PlaybackFinishedSchema,
  RecordingStartedSchema,
  RecordingFinishedSchema,
  RecordingFailedSchema,
  DialSchema,
  ApplicationReplacedSchema,
  EndpointStateChangeSchema,
]);
export type KnownAriEvent = z.infer<typeof KnownAriEventSchema>;
export type KnownAriEventType = KnownAriEvent['type'];

/** The `type` values of `KnownAriEvent`, for lookups without parsing. */
export const KNOWN_ARI_EVENT_TYPES: ReadonlySet<string> = new Set(
  KnownAriEventSchema.options.map((o) => o.shape.type.value),
);

/** An event whose `type` this module does not know. `raw` is the message as received. */
export interface AriUnknownEvent {
  readonly type: 'UnknownEvent';
  readonly originalType: string;
  readonly application: string | undefined;
  readonly timestamp: string | undefined;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Any message of the ARI events WebSocket. Switch on `type`; `UnknownEvent` is the fallback. */
export type AriEvent = KnownAriEvent | AriUnknownEvent;
export type AriEventType = AriEvent['type'];

/** The member of `AriEvent` with the given `type`. */
export type AriEventOf<T extends AriEventType> = Extract<AriEvent, { type: T }>;
