import { z } from 'zod';
import {
  callIdSchema,
  controlResultSchemas,
  dtmfCommandSchema,
  hangupCommandSchema,
  originateCommandSchema,
  playCommandSchema,
  recordCommandSchema,
  sendMessageCommandSchema,
  transferCommandSchema,
} from '../jobs/control-commands.js';
import { CALL_DIRECTIONS, CALL_STATES } from '../db/schema.js';

/**
 * REST request and response schemas. Bodies are the call-control command schemas without `type` (the path says
 * it) and, for live-call commands, without `callId` (the path names the call).
 */
export const originateBodySchema = originateCommandSchema.omit({ type: true });
export const hangupBodySchema = hangupCommandSchema.omit({ type: true, callId: true });
export const transferBodySchema = transferCommandSchema.omit({ type: true, callId: true });
export const playBodySchema = playCommandSchema.omit({ type: true, callId: true });
export const dtmfBodySchema = dtmfCommandSchema.omit({ type: true, callId: true });
export const sendMessageBodySchema = sendMessageCommandSchema.omit({ type: true, callId: true });
export const recordBodySchema = recordCommandSchema.omit({ type: true, callId: true });

/** The live-call actions under `/v1/calls/:id/<action>`, with the command each sends. */
export const CALL_ACTIONS = {
  hangup: { command: 'hangup', body: hangupBodySchema, result: controlResultSchemas.hangup },
  transfer: { command: 'transfer', body: transferBodySchema, result: controlResultSchemas.transfer },
  play: { command: 'play', body: playBodySchema, result: controlResultSchemas.play },
  dtmf: { command: 'dtmf', body: dtmfBodySchema, result: controlResultSchemas.dtmf },
  messages: { command: 'send-message', body: sendMessageBodySchema, result: controlResultSchemas['send-message'] },
  record: { command: 'record', body: recordBodySchema, result: controlResultSchemas.record },
} as const;
export type CallAction = keyof typeof CALL_ACTIONS;

export const callIdParamsSchema = z.object({ id: callIdSchema }).strict();

export const listCallsQuerySchema = z
  .object({
    state: z.enum(CALL_STATES).optional(),
    direction: z.enum(CALL_DIRECTIONS).optional(),
    route: z.string().min(1).max(64).optional(),
    /** ISO 8601 time: calls created at or after it. */
    from: z.iso.datetime({ offset: true }).optional(),
    /** ISO 8601 time: calls created before it. */
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();

export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'printable ASCII, 1-255 characters');

export const audioSocketRouteParamsSchema = z
  .object({
    uuid: z
      .string()
      .regex(/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/, 'expected a UUID'),
  })
  .strict();

export const audioSocketRouteBodySchema = z
  .object({
    /** Name of a configured route. */
    route: z.string().min(1).max(64),
    /** How long the UUID waits for its AudioSocket connection. Default AUDIOSOCKET_UUID_TTL_MS. */
    ttlSec: z.number().int().min(1).max(86_400).optional(),
  })
  .strict();

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const isoDate = z.string().describe('ISO 8601 date-time');

export const callRecordSchema = z.object({
  id: z.string(),
  direction: z.enum(CALL_DIRECTIONS),
  state: z.enum(CALL_STATES),
  fromNumber: z.string().nullable(),
  toNumber: z.string().nullable(),
  route: z.string().nullable(),
  agentKind: z.string().nullable(),
  callerChannelId: z.string().nullable(),
  mediaChannelId: z.string().nullable(),
  bridgeId: z.string().nullable(),
  audiosocketUuid: z.string().nullable(),
  ownerInstance: z.string().nullable(),
  createdAt: isoDate,
  answeredAt: isoDate.nullable(),
  endedAt: isoDate.nullable(),
  hangupCause: z.number().nullable(),
  hangupCauseTxt: z.string().nullable(),
  hangupInitiator: z.string().nullable(),
  closeReason: z.string().nullable(),
  latency: z.unknown(),
  mediaWorker: z
    .union([z.number().int().min(0), z.literal('primary')])
    .nullable()
    .describe(
      "Where the call's media runs or ran: the media worker's slot (MEDIA_WORKERS > 0), \"primary\" (the service's own process), or null while no media connected",
    ),
});

export const callPageSchema = z.object({ items: z.array(callRecordSchema), nextCursor: z.string().nullable() });

export const callDetailSchema = z.object({
  call: callRecordSchema,
  events: z.array(z.record(z.string(), z.unknown())),
  transcript: z.array(z.record(z.string(), z.unknown())),
  toolCalls: z.array(z.record(z.string(), z.unknown())),
  recordings: z.array(z.record(z.string(), z.unknown())),
});

export const readinessSchema = z.object({
  ready: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
});
