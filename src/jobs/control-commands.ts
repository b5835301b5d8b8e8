import { z } from 'zod';
import { originateAmdSchema } from '../config/amd-config.js';

/**
 * Call-control commands (originate, hangup, transfer, play, dtmf, send-message, record) and their results, as
 * schemas: they cross process boundaries inside `call-control` jobs. Every command is a member of one
 * discriminated union on `type`; `ControlResults` maps each type to its result.
 */

/** A call id: a UUID or another short token safe in Redis keys and job ids (letters, digits, `_`, `-`). */
export const callIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,36}$/, 'expected a call id (UUID)');

const endpoint = z.string().min(1).max(256);

export const originateCommandSchema = z
  .object({
    type: z.literal('originate'),
    /** Id the new call gets; assigned by the client when absent, so the caller knows it before the call exists. */
    callId: callIdSchema.optional(),
    /** ARI endpoint to dial, e.g. `PJSIP/+15551234567@trunk`. */
    endpoint,
    callerId: z.string().max(128).optional(),
    /** Route (agent) the answered call enters. */
    route: z.string().min(1).max(64).optional(),
    timeoutSec: z.number().int().min(1).max(600).optional(),
    variables: z.record(z.string().max(128), z.string().max(1024)).optional(),
    /** Answering-machine detection (see `config/amd-config.ts`); the route's `amd` when absent. */
    amd: originateAmdSchema.optional(),
  })
  .strict();

export const hangupCommandSchema = z
  .object({ type: z.literal('hangup'), callId: callIdSchema, reason: z.string().max(64).optional() })
  .strict();

export const transferCommandSchema = z
  .object({
    type: z.literal('transfer'),
    callId: callIdSchema,
    /** Endpoint (`PJSIP/200`) or dialplan extension to send the caller to. */
    target: endpoint,
    context: z.string().min(1).max(80).optional(),
    /**
     * `blind` (default): the caller leaves at once. `warm`: the person is dialled and told about the caller first
     * (the route's `transfer.warm`); the command returns once the dialling started, the steps follow as events.
     */
    mode: z.enum(['blind', 'warm']).optional(),
    /** Warm: what the person is told, spoken by the agent (agents that can, e.g. OpenAI Realtime). */
    summary: z.string().min(1).max(4000).optional(),
    /** Warm: ARI media URIs played to the person instead of a spoken summary. */
    prompt: z.array(z.string().min(1).max(512)).min(1).max(16).optional(),
    /** Warm: why the caller is transferred, for the record. */
    reason: z.string().min(1).max(256).optional(),
  })
  .strict();

export const playCommandSchema = z
  .object({
    type: z.literal('play'),
    callId: callIdSchema,
    /** ARI media URIs: `sound:hello-world`, `recording:name`, `tone:ring`, `digits:123`. */
    media: z.array(z.string().min(1).max(512)).min(1).max(16),
  })
  .strict();

export const dtmfCommandSchema = z
  .object({
    type: z.literal('dtmf'),
    callId: callIdSchema,
    digits: z.string().regex(/^[0-9A-Da-d*#]{1,64}$/, 'DTMF digits: 0-9, A-D, * and #'),
    durationMs: z.number().int().min(40).max(2000).optional(),
  })
  .strict();

export const sendMessageCommandSchema = z
  .object({
    type: z.literal('send-message'),
    callId: callIdSchema,
    /** Text given to the call's agent (e.g. a supervisor instruction or a user message). */
    text: z.string().min(1).max(8000),
    /** Whether the agent should stop speaking to take it. */
    interrupt: z.boolean().optional(),
  })
  .strict();

export const RECORDING_FORMATS = ['wav', 'gsm', 'sln', 'sln16', 'ulaw', 'alaw'] as const;

export const recordCommandSchema = z
  .object({
    type: z.literal('record'),
    callId: callIdSchema,
    action: z.enum(['start', 'stop']),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/)
      .optional(),
    format: z.enum(RECORDING_FORMATS).optional(),
    maxDurationSec: z.number().int().min(1).max(86_400).optional(),
  })
  .strict();

export const controlCommandSchema = z.discriminatedUnion('type', [
  originateCommandSchema,
  hangupCommandSchema,
  transferCommandSchema,
  playCommandSchema,
  dtmfCommandSchema,
  sendMessageCommandSchema,
  recordCommandSchema,
]);

export type ControlCommand = z.output<typeof controlCommandSchema>;
export type ControlCommandType = ControlCommand['type'];
export const CONTROL_COMMAND_TYPES = [
  'originate',
  'hangup',
  'transfer',
  'play',
  'dtmf',
  'send-message',
  'record',
] as const satisfies readonly ControlCommandType[];
export type ControlCommandOf<T extends ControlCommandType> = Extract<ControlCommand, { type: T }>;
export type OriginateCommand = ControlCommandOf<'originate'>;
export type HangupCommand = ControlCommandOf<'hangup'>;
export type TransferCommand = ControlCommandOf<'transfer'>;
export type PlayCommand = ControlCommandOf<'play'>;
export type DtmfCommand = ControlCommandOf<'dtmf'>;
export type SendMessageCommand = ControlCommandOf<'send-message'>;
export type RecordCommand = ControlCommandOf<'record'>;
/** A command addressed to a live call (everything but originate). */
export type LiveCallCommand = Exclude<ControlCommand, OriginateCommand>;

export const controlResultSchemas = {
  originate: z.object({ callId: callIdSchema, channelId: z.string().nullable() }).strict(),
  hangup: z.object({ ended: z.boolean() }).strict(),
  transfer: z.object({ accepted: z.boolean(), transferId: z.string().optional() }).strict(),
  play: z.object({ playbackId: z.string() }).strict(),
  dtmf: z.object({ sent: z.number().int().min(0) }).strict(),
  'send-message': z.object({ accepted: z.boolean() }).strict(),
  record: z.object({ name: z.string(), status: z.enum(['recording', 'stopped']) }).strict(),
} as const satisfies Record<ControlCommandType, z.ZodType>;

/** Result type of each command type. */
export type ControlResults = { [K in ControlCommandType]: z.output<(typeof controlResultSchemas)[K]> };
export type ControlResult = ControlResults[ControlCommandType];
