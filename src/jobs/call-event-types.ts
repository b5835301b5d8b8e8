import { z } from 'zod';
import type { PublicCallEventName } from '../calls/call-lifecycle.js';
import { WARM_TRANSFER_FAILURES } from '../calls/voice-agent.js';
import { CALL_DIRECTIONS, CALL_STATES, HANGUP_INITIATORS, RECORDING_STATUSES, TRANSCRIPT_ROLES } from '../db/schema.js';

/**
 * Public call events: the payload schema of each name in `PUBLIC_CALL_EVENT_NAMES` (`calls/call-lifecycle.ts`). The calls layer emits them
 * through `CallEventSink.emit(callId, type, payload)`; they are stored in `call_events` in emission order, some
 * also update the `calls`/`recordings` rows (see `applyCallEvent`), and all are sent to the route's webhooks.
 * Payloads are open objects: fields a later version adds pass through untouched.
 */
const nullableText = (max: number) => z.string().max(max).nullable().optional();

export const callEventPayloadSchemas = {
  /** A call record came into being (inbound call entered Stasis / AudioSocket connected; outbound originated). */
  'call.created': z.looseObject({
    direction: z.enum(CALL_DIRECTIONS),
    from: nullableText(128),
    to: nullableText(128),
    route: nullableText(64),
    agentKind: nullableText(32),
    callerChannelId: nullableText(128),
    audiosocketUuid: nullableText(36),
    ownerInstance: nullableText(128),
    state: z.enum(CALL_STATES).optional(),
  }),
  'call.ringing': z.looseObject({}),
  'call.answered': z.looseObject({}),
  /** Media is flowing: the externalMedia channel, bridge and AudioSocket connection are in place. */
  'call.media_connected': z.looseObject({
    mediaChannelId: nullableText(128),
    bridgeId: nullableText(128),
    audiosocketUuid: nullableText(36),
    /**
     * The media worker holding the call's media (MEDIA_WORKERS > 0), or `primary` when the primary process runs it
     * (a route workers cannot carry, or no worker ready); absent with MEDIA_WORKERS=0.
     */
    mediaWorker: z.union([z.number().int().min(0), z.literal('primary')]).optional(),
  }),
  /**
   * The caller's leg sent no audio for a while (silence suppression, a mute, a media hiccup); the adapter filled
   * the gap with silence. Emitted when audio resumed, or at the end of the call (`open: true`).
   */
  'call.media_gap': z.looseObject({
    startedAt: z.string(),
    durationMs: z.number().int().min(0),
    filledFrames: z.number().int().min(0),
    open: z.boolean(),
    /** The time before the leg's first frame (reported from 1 s, or when media never started). */
    leading: z.boolean().optional(),
  }),
  'call.state_changed': z.looseObject({ state: z.enum(CALL_STATES) }),
  'call.agent_connected': z.looseObject({ agentKind: z.string().max(32) }),
  'call.agent_disconnected': z.looseObject({ reason: z.string().max(128) }),
  'call.dtmf': z.looseObject({ digit: z.string().regex(/^[0-9A-Da-d*#]$/) }),
  /** Answering-machine detection decided, before the agent started (see README "Answering-machine detection"). */
  'call.amd_result': z.looseObject({
    mode: z.enum(['asterisk', 'adapter']),
    result: z.enum(['human', 'machine', 'notsure']),
    cause: z.string().max(32),
    detail: nullableText(128),
    decisionMs: z.number().int().min(0).nullable().optional(),
    beep: z.boolean().optional(),
    beepEndMs: z.number().int().min(0).optional(),
  }),
  'call.transcript': z.looseObject({
    role: z.enum(TRANSCRIPT_ROLES),
    text: z.string(),
    itemId: nullableText(128),
  }),
  'call.transferred': z.looseObject({ target: z.string().max(256) }),
  /** Warm transfer steps, all with the transfer's id: see the README's "Warm transfer" section. */
  'call.transfer_started': z.looseObject({
    transferId: z.string(),
    target: z.string().max(256),
    hold: z.enum(['agent', 'moh']),
    reason: nullableText(256),
  }),
  'call.transfer_ringing': z.looseObject({ transferId: z.string(), channelId: z.string().max(128) }),
  'call.transfer_answered': z.looseObject({ transferId: z.string(), channelId: z.string().max(128) }),
  'call.transfer_summary_played': z.looseObject({ transferId: z.string(), via: z.enum(['prompt', 'agent', 'none']) }),
  'call.transfer_completed': z.looseObject({ transferId: z.string(), bridgeId: z.string().max(128) }),
  'call.transfer_failed': z.looseObject({
    transferId: z.string(),
    reason: z.enum(WARM_TRANSFER_FAILURES),
    message: z.string().max(1024),
    hangupCause: z.number().int().nullable().optional(),
    hangupCauseTxt: nullableText(128),
  }),
  'call.playback_started': z.looseObject({ playbackId: z.string(), media: z.array(z.string()) }),
  'call.playback_finished': z.looseObject({ playbackId: z.string() }),
  'call.recording_started': z.looseObject({ name: z.string().max(255), format: z.string().max(16) }),
  'call.recording_finished': z.looseObject({
    name: z.string().max(255),
    status: z.enum(RECORDING_STATUSES).exclude(['recording']),
    durationMs: z.number().int().min(0).nullable().optional(),
    error: nullableText(1024),
  }),
  'call.error': z.looseObject({ code: z.string().max(64), message: z.string().max(1024) }),
  /** The call is over; `closeReason` is the adapter's reason, the hangup cause is Asterisk's (Q.850). */
  'call.ended': z.looseObject({
    state: z.enum(['ended', 'failed']).optional(),
    hangupCause: z.number().int().nullable().optional(),
    hangupCauseTxt: nullableText(128),
    initiator: z.enum(HANGUP_INITIATORS).nullable().optional(),
    closeReason: z.string().max(64),
    latency: z.unknown().optional(),
  }),
} as const satisfies { [K in PublicCallEventName]: z.ZodType };

export type CallEventType = keyof typeof callEventPayloadSchemas;
export const CALL_EVENT_TYPES = Object.keys(callEventPayloadSchemas) as CallEventType[];
/** What `emit` accepts for each event type. */
export type CallEventPayloads = { [K in CallEventType]: z.input<(typeof callEventPayloadSchemas)[K]> };
/** A parsed event, as the persister and projection see it. */
export type CallEvent = {
  [K in CallEventType]: { type: K; payload: z.output<(typeof callEventPayloadSchemas)[K]> };
}[CallEventType];

export function isCallEventType(type: string): type is CallEventType {
  return Object.hasOwn(callEventPayloadSchemas, type);
}

/** Parses a stored or queued event into the union; throws a ZodError when the payload does not fit its type. */
export function parseCallEvent(type: CallEventType, payload: unknown): CallEvent {
  const parsed = callEventPayloadSchemas[type].parse(payload);
  return { type, payload: parsed } as CallEvent;
}

/**
 * The narrow interface the calls layer emits lifecycle events through. `emit` returns at once and never throws
 * for transport reasons: persistence and webhook delivery happen in the background.
 */
export interface CallEventSink {
  emit<K extends CallEventType>(callId: string, type: K, payload: CallEventPayloads[K]): void;
}
