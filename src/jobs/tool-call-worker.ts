import { randomUUID } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { TERMINAL_TOOL_CALL_STATUSES } from '../db/schema.js';
import type { DB } from '../db/schema.js';
import { type ToolCallOutcome, type ToolCallRecord, ToolCallsRepository } from '../db/tool-calls-repository.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { BackoffPolicy } from './backoff.js';
import type { CallControlClient } from './call-control-client.js';
import {
  QUEUES,
  type ToolCallJobData,
  type ToolCallJobResult,
  toolCallJobDataSchema,
  type TypedJob,
  type TypedWorker,
} from './queues.js';
import type { RedisConnection } from './redis-connection.js';
import { retryTransient } from './retry-transient.js';
import type { ToolCatalog } from './tool-catalog.js';
import { TOOL_ERROR_CODES, type ToolCallResult } from './tool-call-types.js';
import type { ToolResultRouter } from './tool-result-router.js';
import { runTool } from './tool-runner.js';
import { createWorker, type WorkerTuning } from './worker-factory.js';

export interface ToolCallWorkerOptions {
  connection: RedisConnection;
  prefix: string;
  db: Kysely<DB>;
  catalog: ToolCatalog;
  control: Pick<CallControlClient, 'execute'>;
  router: Pick<ToolResultRouter, 'route'>;
  controlTimeoutMs: number;
  /** Retries of the row updates that record an outcome while MySQL is unreachable. */
  dbRetry: BackoffPolicy;
  tuning: WorkerTuning;
  logger: Logger;
  workerName?: string;
}

/** What a run leaves on its BullMQ job (as progress) once the tool answered, before the row is updated. */
const finishedRunSchema = z.object({
  runToken: z.string(),
  outcome: z.discriminatedUnion('status', [
    z.object({ status: z.literal('succeeded'), result: z.unknown() }),
    z.object({ status: z.enum(['failed', 'timed_out']), errorCode: z.string(), error: z.string() }),
  ]),
});

/** Turns a stored outcome into the result handed to the call. */
export function toToolResult(
  call: { callId: string; toolCallId: string; name: string },
  outcome: ToolCallOutcome,
): ToolCallResult {
  const base = { callId: call.callId, toolCallId: call.toolCallId, name: call.name };
  if (outcome.status === 'succeeded') return { ...base, status: 'succeeded', output: outcome.result ?? null };
  return { ...base, status: outcome.status, error: { code: outcome.errorCode, message: outcome.error } };
}

function recordOutcome(r: ToolCallRecord): ToolCallOutcome {
  return r.status === 'succeeded'
    ? { status: 'succeeded', result: r.result }
    : {
        status: r.status === 'timed_out' ? 'timed_out' : 'failed',
        errorCode: r.errorCode ?? TOOL_ERROR_CODES.unavailable,
        error: r.error ?? '',
      };
}

/**
 * Worker of the `tool-calls` queue. The `tool_calls` row is the idempotency record: a run first creates it (or
 * finds it), then claims it (`pending` → `running`, with a run token), runs the tool, leaves the outcome on the
 * job, records it on the row (only if its token still holds the row) and routes the result to the call's owner.
 *
 * A repeated job for a finished call never runs the tool again: it only re-sends a result not yet delivered.
 * A job retried after its worker died mid-run (BullMQ stalled-job handling) finishes with the outcome the dead
 * run left on the job if there is one; otherwise it re-runs the tool only if the tool is idempotent, and else
 * fails the call with TOOL_INTERRUPTED rather than risk a second side effect.
 */
export class ToolCallWorker {
  readonly #o: ToolCallWorkerOptions;
  readonly #log: Logger;
  readonly #repo: ToolCallsRepository;
  readonly #worker: TypedWorker<'toolCalls'>;

  constructor(options: ToolCallWorkerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'tool-calls' });
    this.#repo = new ToolCallsRepository(options.db);
    this.#worker = createWorker(
      'toolCalls',
      QUEUES.toolCalls,
      (job: TypedJob<'toolCalls'>, _t?: string, signal?: AbortSignal) => this.#process(job, signal),
      {
        connection: options.connection,
        prefix: options.prefix,
        tuning: options.tuning,
        logger: this.#log,
        ...(options.workerName ? { workerName: options.workerName } : {}),
      },
    );
  }

  async #process(job: TypedJob<'toolCalls'>, signal?: AbortSignal): Promise<ToolCallJobResult> {
    const parsed = toolCallJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed tool call job: ${parsed.error.message}`);
    const data = parsed.data;
    try {
      return await this.#run(job, data, signal);
    } catch (err) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last && !(err instanceof UnrecoverableError)) {
        const message = `tool call could not be run: ${err instanceof Error ? err.message : String(err)}`;
        await this.#o.router
          .route(toToolResult(data, { status: 'failed', errorCode: TOOL_ERROR_CODES.unavailable, error: message }))
          .catch((e: unknown) => this.#log.error({ err: e, callId: data.callId }, 'could not report tool failure'));
      }
      throw err;
    }
  }

  async #run(job: TypedJob<'toolCalls'>, data: ToolCallJobData, signal?: AbortSignal): Promise<ToolCallJobResult> {
    const { callId, toolCallId } = data;
    const log = this.#log.child({ callId, toolCallId, tool: data.name });
    const def = this.#o.catalog.resolve(data.name);
    const runToken = randomUUID();
    // Usually the first sight of this call: create its row already claimed by this run.
    const { record, created } = await this.#repo.createIfAbsent(
      { callId, toolCallId, name: data.name, arguments: data.arguments ?? {}, requestedBy: data.requestedBy },
      runToken,
    );
    if (!created) {
      if (TERMINAL_TOOL_CALL_STATUSES.includes(record.status)) {
        await this.#redeliver(record);
        return { outcome: 'duplicate' };
      }
      const left = finishedRunSchema.safeParse(job.progress);
      if (left.success && record.status === 'running') {
        // The previous run got the tool's answer but died before recording it: record it now, don't run again.
        const token = randomUUID();
        if (await this.#repo.claim(callId, toolCallId, token, { takeOver: true })) {
          if (await this.#finish(callId, toolCallId, token, left.data.outcome, signal)) {
            await this.#deliver(toToolResult(data, left.data.outcome));
            log.info('recovered the outcome of a run that died before recording it');
          }
        }
        return { outcome: 'ran' };
      }
      const claimed = await this.#repo.claim(callId, toolCallId, runToken, {
        takeOver: this.#o.catalog.isIdempotent(data.name),
      });
      if (!claimed) return this.#notClaimed(data, log, signal);
    }

    const outcome: ToolCallOutcome = def
      ? await runTool(def, data, {
          control: this.#o.control,
          controlTimeoutMs: this.#o.controlTimeoutMs,
          countRetry: () =>
            this.#repo.countAttempt(callId, toolCallId, runToken).catch((err: unknown) => {
              log.warn({ err }, 'could not count a tool call attempt');
            }),
          ...(signal ? { signal } : {}),
        })
      : { status: 'failed', errorCode: TOOL_ERROR_CODES.unknownTool, error: `no tool named ${data.name}` };
    // The outcome goes on the job (for a retry after a crash) and on the row at once: a crash between the two is
    // recovered either way (a finished row is redelivered; an outcome left on the job is recorded, not re-run).
    const [, finished] = await Promise.all([
      job.updateProgress({ runToken, outcome }).catch((err: unknown) => {
        log.warn({ err }, 'could not leave the tool outcome on its job');
      }),
      this.#finish(callId, toolCallId, runToken, outcome, signal),
    ]);
    if (!finished) {
      log.warn('another run took this tool call over; its outcome stands');
      return { outcome: 'superseded' };
    }
    await this.#deliver(toToolResult(data, outcome));
    return { outcome: 'ran' };
  }

  /** The claim failed: the call finished meanwhile, or a dead run left it `running`. */
  async #notClaimed(data: ToolCallJobData, log: Logger, signal?: AbortSignal): Promise<ToolCallJobResult> {
    const { callId, toolCallId } = data;
    const now = await this.#repo.get(callId, toolCallId);
    if (!now) throw new Error(`tool call ${callId}:${toolCallId} vanished`);
    if (TERMINAL_TOOL_CALL_STATUSES.includes(now.status)) {
      await this.#redeliver(now);
      return { outcome: 'duplicate' };
    }
    if (now.status === 'pending') throw new Error('tool call is pending but could not be claimed; retrying');
    const token = randomUUID();
    if (!(await this.#repo.claim(callId, toolCallId, token, { takeOver: true }))) return { outcome: 'superseded' };
    const outcome: ToolCallOutcome = {
      status: 'failed',
      errorCode: TOOL_ERROR_CODES.interrupted,
      error: 'the run executing this tool call stopped mid-call; not repeated because the tool is not idempotent',
    };
    if (await this.#finish(callId, toolCallId, token, outcome, signal)) {
      await this.#deliver(toToolResult(data, outcome));
    }
    log.warn('tool call interrupted by a dead run; reported as failed instead of running it twice');
    return { outcome: 'interrupted' };
  }

  #finish(
    callId: string,
    toolCallId: string,
    token: string,
    outcome: ToolCallOutcome,
    signal?: AbortSignal,
  ): Promise<boolean> {
    return retryTransient(() => this.#repo.finish(callId, toolCallId, token, outcome), {
      policy: this.#o.dbRetry,
      ...(signal ? { signal } : {}),
    });
  }

  async #redeliver(record: ToolCallRecord): Promise<void> {
    if (record.resultDelivery !== 'pending') return;
    await this.#deliver(toToolResult(record, recordOutcome(record)));
  }

  async #deliver(result: ToolCallResult): Promise<void> {
    const routed = await this.#o.router.route(result);
    if (routed === 'call_ended') {
      await this.#repo.markDelivery(result.callId, result.toolCallId, 'call_ended');
      this.#log.info({ callId: result.callId, toolCallId: result.toolCallId }, 'tool result kept: the call ended');
    }
  }

  async waitUntilReady(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /** Stops taking tool calls and waits for those in progress. Idempotent. */
  readonly close = onceAsync(async (): Promise<void> => {
    await this.#worker.close();
  });
}
