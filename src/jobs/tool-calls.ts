import type { z } from 'zod';
import type { ToolCallRecord, ToolCallsRepository } from '../db/tool-calls-repository.js';
import { AppError } from '../errors/app-error.js';
import type { RetryPolicy } from '../lib/retry-policy.js';
import { bullRetryOptions } from './backoff.js';
import { toolCallJobId, type TypedQueue } from './queues.js';
import { toolCallRequestSchema } from './tool-call-types.js';

export type ToolCallRequestInput = z.input<typeof toolCallRequestSchema>;

export interface ToolCallsOptions {
  queue: TypedQueue<'toolCalls'>;
  instanceId: string;
  /** BullMQ attempts for runs that fail for infrastructure reasons (database down, worker died). */
  jobRetry: RetryPolicy;
  repository: ToolCallsRepository;
}

/**
 * Where the calls layer hands an agent's function calls. `submit` queues the call as a job with a job id derived
 * from `(callId, toolCallId)`, so submitting the same call twice queues it once; the `tool_calls` row guards
 * against a second run after the first job is gone. The result arrives later at this instance's (or the call's
 * current owner's) `ToolResultSink`.
 */
export class ToolCalls {
  readonly #o: ToolCallsOptions;

  constructor(options: ToolCallsOptions) {
    this.#o = options;
  }

  async submit(input: ToolCallRequestInput): Promise<{ jobId: string }> {
    const parsed = toolCallRequestSchema.safeParse(input);
    if (!parsed.success) {
      throw new AppError(`invalid tool call: ${parsed.error.message}`, {
        code: 'TOOL_CALL_INVALID',
        category: 'invalid_request',
        details: { issues: parsed.error.issues },
      });
    }
    const req = parsed.data;
    const jobId = toolCallJobId(req.callId, req.toolCallId);
    try {
      await this.#o.queue.add(
        'run',
        { ...req, arguments: req.arguments ?? {}, requestedBy: this.#o.instanceId, requestedAt: Date.now() },
        {
          jobId,
          ...bullRetryOptions(this.#o.jobRetry),
          removeOnComplete: { age: 86_400, count: 50_000 },
          removeOnFail: { age: 7 * 86_400 },
        },
      );
    } catch (err) {
      throw new AppError('could not queue the tool call: Redis unreachable', {
        code: 'TOOL_CALL_UNAVAILABLE',
        category: 'connectivity',
        retryable: true,
        cause: err,
      });
    }
    return { jobId };
  }

  /** The stored state of a tool call, once a worker has picked it up. */
  get(callId: string, toolCallId: string): Promise<ToolCallRecord | undefined> {
    return this.#o.repository.get(callId, toolCallId);
  }
}
