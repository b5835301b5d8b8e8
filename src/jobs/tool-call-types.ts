import { z } from 'zod';
import { callIdSchema } from './control-commands.js';

/**
 * Tool calls: an agent's function call as a job, and the result that goes back to the call. Both cross process
 * boundaries (the `tool-calls` queue, the per-instance `tool-results` queues), so they are schemas.
 */

export const toolCallIdSchema = z.string().min(1).max(128);
export const toolNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'tool names: letters, digits, _ . -');

/** What an agent asked for. `(callId, toolCallId)` identifies it; asking twice runs it once. */
export const toolCallRequestSchema = z
  .object({
    callId: callIdSchema,
    toolCallId: toolCallIdSchema,
    name: toolNameSchema,
    /** The function arguments, already parsed from the model's JSON. */
    arguments: z.unknown(),
  })
  .strict();
export type ToolCallRequest = z.output<typeof toolCallRequestSchema>;

export const toolErrorSchema = z.object({ code: z.string().max(64), message: z.string().max(2048) }).strict();
export type ToolError = z.output<typeof toolErrorSchema>;

const resultBase = { callId: callIdSchema, toolCallId: toolCallIdSchema, name: toolNameSchema };

/** The outcome handed back to the call: the tool's output, or why there is none. */
export const toolCallResultSchema = z.discriminatedUnion('status', [
  z.object({ ...resultBase, status: z.literal('succeeded'), output: z.unknown() }).strict(),
  z.object({ ...resultBase, status: z.literal('failed'), error: toolErrorSchema }).strict(),
  z.object({ ...resultBase, status: z.literal('timed_out'), error: toolErrorSchema }).strict(),
]);
export type ToolCallResult = z.output<typeof toolCallResultSchema>;

/** Whether a result reached a live call. */
export type ToolResultDeliveryOutcome = 'delivered' | 'call_not_found';

/**
 * The narrow interface the calls layer implements to receive tool results for the calls it holds. It answers
 * `call_not_found` when the call has ended (the result then stays recorded in `tool_calls`).
 */
export interface ToolResultSink {
  deliver(result: ToolCallResult): Promise<ToolResultDeliveryOutcome>;
  /** Whether an agent on this instance is waiting for this tool call's result (it then needs no routing). */
  waitsFor?(callId: string, toolCallId: string): boolean;
}

/** Stable error codes in failed tool results. */
export const TOOL_ERROR_CODES = {
  unknownTool: 'TOOL_UNKNOWN',
  invalidArguments: 'TOOL_INVALID_ARGUMENTS',
  httpStatus: 'TOOL_HTTP_STATUS',
  network: 'TOOL_NETWORK',
  timeout: 'TOOL_TIMEOUT',
  interrupted: 'TOOL_INTERRUPTED',
  unavailable: 'TOOL_UNAVAILABLE',
} as const;
