import type { Job, Queue, Worker } from 'bullmq';
import { z } from 'zod';
import { callIdSchema, controlCommandSchema, type ControlCommandType } from './control-commands.js';
import { toolCallRequestSchema, toolCallResultSchema } from './tool-call-types.js';

/**
 * Every BullMQ queue of the job layer: its name, job names, job data schema and result type, defined once and
 * flowing through `Queue<Data, Result, Name>` / `Worker<Data, Result, Name>` (see `QueueSpecs`).
 *
 * All queues live under a configurable BullMQ key prefix (Redis keys `<prefix>:<queue>:…`); the job layer's own
 * keys (call owners, instance liveness, event sequence counters) use the same prefix (see `redis-keys.ts`).
 * Queues marked per-instance exist once per adapter instance: `<base>.<instanceId>` (`instanceQueueName`).
 */
export const QUEUES = {
  /** Shared: originate commands, taken by any instance. */
  callControl: 'call-control',
  /** Per instance: commands for the live calls that instance owns. */
  callControlInstance: 'call-control',
  /** Shared: lifecycle events to persist in order. */
  callEvents: 'call-events',
  /** Shared: one job per (event, webhook endpoint) delivery. */
  webhookDeliveries: 'call-events-webhooks',
  /** Shared: agents' function calls. */
  toolCalls: 'tool-calls',
  /** Per instance: tool results for the calls that instance owns. */
  toolResults: 'tool-results',
} as const;

/** Name of a per-instance queue. BullMQ forbids `:` in queue names, so the instance id is URI-encoded. */
export function instanceQueueName(base: string, instanceId: string): string {
  return `${base}.${encodeURIComponent(instanceId)}`;
}

/** A call-control job: the command, and the time after which it must not run any more. */
export const controlJobDataSchema = z
  .object({
    command: controlCommandSchema,
    /** Epoch ms; the worker refuses to start the command after it (the client has given up by then). */
    deadline: z.number().int().positive(),
    requestedBy: z.string().max(128).optional(),
  })
  .strict();
export type ControlJobData = z.output<typeof controlJobDataSchema>;

export const remoteErrorSchema = z
  .object({
    code: z.string(),
    category: z.string(),
    message: z.string(),
    retryable: z.boolean(),
  })
  .strict();
export type RemoteError = z.output<typeof remoteErrorSchema>;

/** What a call-control job returns: the controller's result, or its error as data (codes survive the trip). */
export const controlJobResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ ok: z.literal(false), error: remoteErrorSchema }).strict(),
]);
export type ControlJobResult = z.output<typeof controlJobResultSchema>;

/** A lifecycle event on its way to `call_events`. */
export const persistEventJobDataSchema = z
  .object({
    eventId: z.uuid(),
    callId: callIdSchema,
    seq: z.number().int().min(1),
    type: z.string().min(1).max(64),
    payload: z.unknown(),
    /** Epoch ms when it was emitted. */
    occurredAt: z.number().int().nonnegative(),
  })
  .strict();
export type PersistEventJobData = z.output<typeof persistEventJobDataSchema>;
export interface PersistEventJobResult {
  rowId: number;
  seq: number;
  deliveries: number;
}

/** One delivery of one stored event to one endpoint. The secret is looked up at delivery time, never queued. */
export const webhookJobDataSchema = z
  .object({
    deliveryId: z.number().int().positive(),
    route: z.string().nullable(),
    endpointKey: z.string().length(64),
  })
  .strict();
export type WebhookJobData = z.output<typeof webhookJobDataSchema>;
export interface WebhookJobResult {
  statusCode: number;
}

/** A tool call to run, with the instance that asked (results fall back to it when the call has no owner). */
export const toolCallJobDataSchema = toolCallRequestSchema
  .extend({ requestedBy: z.string().max(128), requestedAt: z.number().int().nonnegative() })
  .strict();
export type ToolCallJobData = z.output<typeof toolCallJobDataSchema>;
export interface ToolCallJobResult {
  /** ran: this run executed it; duplicate: already done; interrupted: a previous run died mid-call. */
  outcome: 'ran' | 'duplicate' | 'interrupted' | 'superseded';
}

export const toolResultJobDataSchema = toolCallResultSchema;
export type ToolResultJobData = z.output<typeof toolResultJobDataSchema>;
export interface ToolResultJobResult {
  delivery: 'delivered' | 'call_ended';
}

/** Data, result and job-name types of each queue. */
export interface QueueSpecs {
  callControl: { data: ControlJobData; result: ControlJobResult; name: ControlCommandType };
  callEvents: { data: PersistEventJobData; result: PersistEventJobResult; name: 'persist' };
  webhookDeliveries: { data: WebhookJobData; result: WebhookJobResult; name: 'deliver' };
  toolCalls: { data: ToolCallJobData; result: ToolCallJobResult; name: 'run' };
  toolResults: { data: ToolResultJobData; result: ToolResultJobResult; name: 'result' };
}
export type QueueKind = keyof QueueSpecs;

export type TypedQueue<K extends QueueKind> = Queue<
  QueueSpecs[K]['data'],
  QueueSpecs[K]['result'],
  QueueSpecs[K]['name']
>;
export type TypedWorker<K extends QueueKind> = Worker<
  QueueSpecs[K]['data'],
  QueueSpecs[K]['result'],
  QueueSpecs[K]['name']
>;
export type TypedJob<K extends QueueKind> = Job<QueueSpecs[K]['data'], QueueSpecs[K]['result'], QueueSpecs[K]['name']>;

/**
 * BullMQ job id of a tool call. The idempotency key is `<callId>:<toolCallId>`, but BullMQ refuses `:` in custom
 * ids, so the job id is `<callId>.<encoded toolCallId>` (call ids contain no `.`; the encoding escapes `:`).
 */
export function toolCallJobId(callId: string, toolCallId: string): string {
  return `${callId}.${encodeURIComponent(toolCallId)}`;
}

/** The idempotency key of a tool call, as sent to HTTP tools in `X-Ava-Idempotency-Key`. */
export function toolCallKey(callId: string, toolCallId: string): string {
  return `${callId}:${toolCallId}`;
}
