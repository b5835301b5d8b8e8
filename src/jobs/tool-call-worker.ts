// Over 400 lines: one tool run's claim, call, hand-over and record, with its phase timing, read best in one place.
import { randomUUID } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { TERMINAL_TOOL_CALL_STATUSES } from '../db/schema.js';
import type { DB } from '../db/schema.js';
import {
  type NewToolCall,
  type ToolCallOutcome,
  type ToolCallRecord,
  ToolCallsRepository,
} from '../db/tool-calls-repository.js';
import { onceAsync } from '../lib/once.js';
import type { Logger } from '../observability/logger.js';
import type { RetryPolicy } from '../lib/retry-policy.js';
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
import type { ToolCallClaims } from './tool-call-claims.js';
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
  /**
   * Redis claims that let the first run of a tool call start the tool while its row is written (one MySQL commit
   * off the round trip, and the second one overlapped with the hand-over). Without them every run waits for the row.
   */
  claims?: ToolCallClaims;
  /** Called with the phases of each run that called the tool, once its result was handed over. */
  onRun?: (phases: ToolRunPhases) => void;
  controlTimeoutMs: number;
  /** Retries of the row updates that record an outcome while MySQL is unreachable. */
  dbRetry: RetryPolicy;
  tuning: WorkerTuning;
  logger: Logger;
  workerName?: string;
}

/** Where the time of one tool run went, ms. Reported for each run that called the tool. */
export interface ToolRunPhases {
  /** From the function call's submission (`requestedAt`, the submitting instance's clock) to a worker taking it. */
  queuedMs: number;
  /** From taking the job to holding the tool call (Redis claim and row check, or the row itself). */
  claimMs: number;
  /** The tool itself: the HTTP request with its retries, or the built-in command. */
  toolMs: number;
  /**
   * From the tool's answer to the result handed over (outcome left on the job, then taken by the agent or queued for
   * the call's owner); undefined when it went nowhere (the call had ended).
   */
  handOverMs: number | undefined;
  /** From the tool's answer to the end of the run (the outcome and its delivery recorded on the row). */
  finishMs: number;
}

/** Times one run's phases (see {@link ToolRunPhases}). */
class RunClock {
  readonly #queuedMs: number;
  readonly #picked = performance.now();
  #claimed = 0;
  #toolDone = 0;
  #handedOver: number | undefined;

  constructor(requestedAt: number) {
    this.#queuedMs = Math.max(0, Date.now() - requestedAt);
  }

  claimed(): void {
    this.#claimed = performance.now();
  }

  toolDone(): void {
    this.#toolDone = performance.now();
  }

  readonly handedOver = (): void => {
    this.#handedOver ??= performance.now();
  };

  phases(): ToolRunPhases {
    return {
      queuedMs: this.#queuedMs,
      claimMs: this.#claimed - this.#picked,
      toolMs: this.#toolDone - this.#claimed,
      handOverMs: this.#handedOver === undefined ? undefined : this.#handedOver - this.#toolDone,
      finishMs: performance.now() - this.#toolDone,
    };
  }
}

/**
 * What a run leaves on its BullMQ job (as progress) once the tool answered, before the row is updated; `delivered`
 * once the agent took the result although the row could not be written (the retry records it, and does not deliver
 * it again).
 */
const finishedRunSchema = z.object({
  runToken: z.string(),
  delivered: z.literal(true).optional(),
  outcome: z.discriminatedUnion('status', [
    z.object({ status: z.literal('succeeded'), result: z.unknown() }),
    z.object({ status: z.enum(['failed', 'timed_out']), errorCode: z.string(), error: z.string() }),
  ]),
});

function newToolCall(data: ToolCallJobData): NewToolCall {
  const { callId, toolCallId, name, requestedBy } = data;
  return { callId, toolCallId, name, arguments: data.arguments ?? {}, requestedBy };
}

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
 * With Redis claims, the first run of a tool call does not wait for the row: it takes a claim in Redis (SET NX),
 * checks that no row exists, and calls the tool while the row is written; an agent waiting on this instance gets
 * the result as soon as the outcome is on the job, and the outcome and its delivery are recorded on the row after.
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
    const clock = new RunClock(data.requestedAt);
    const runToken = randomUUID();
    let earlierRun = false;
    const claims = this.#o.claims;
    if (claims) {
      const [fresh, existing] = await Promise.all([
        claims.claim(callId, toolCallId, runToken),
        this.#repo.get(callId, toolCallId),
      ]);
      if (fresh && !existing) return this.#runFirst(job, data, runToken, claims, clock, log, signal);
      if (fresh) await claims.release(callId, toolCallId, runToken); // the row is the record from here on
      // Another run claimed this tool call but its row never landed: that run may have called the tool.
      earlierRun = !fresh && !existing;
    }
    // Usually the first sight of this call: create its row already claimed by this run.
    const { record, created } = await this.#repo.createIfAbsent(newToolCall(data), earlierRun ? undefined : runToken);
    if (!created || earlierRun) {
      if (TERMINAL_TOOL_CALL_STATUSES.includes(record.status)) {
        await this.#redeliver(record);
        return { outcome: 'duplicate' };
      }
      const left = finishedRunSchema.safeParse(job.progress);
      if (left.success && (record.status === 'running' || earlierRun)) {
        // The previous run got the tool's answer but died before recording it: record it now, don't run again.
        const token = randomUUID();
        if (await this.#repo.claim(callId, toolCallId, token, { takeOver: true })) {
          if (await this.#finish(callId, toolCallId, token, left.data.outcome, signal)) {
            if (left.data.delivered) await this.#repo.markDelivery(callId, toolCallId, 'delivered');
            else await this.#deliver(toToolResult(data, left.data.outcome));
            log.info(
              { delivered: left.data.delivered ?? false },
              'recorded the outcome of an earlier run that could not record it',
            );
          }
        }
        return { outcome: 'ran' };
      }
      const idempotent = this.#o.catalog.isIdempotent(data.name);
      if (earlierRun && !idempotent) return this.#interrupt(data, log, signal);
      const claimed = await this.#repo.claim(callId, toolCallId, runToken, { takeOver: idempotent });
      if (!claimed) return this.#notClaimed(data, log, signal);
    }

    clock.claimed();
    const outcome = await this.#callTool(data, runToken, log, signal);
    clock.toolDone();
    // The outcome goes on the job (for a retry after a crash) and on the row at once: a crash between the two is
    // recovered either way (a finished row is redelivered; an outcome left on the job is recorded, not re-run).
    const [, finished] = await Promise.all([
      this.#leaveOutcome(job, runToken, outcome, log),
      this.#finish(callId, toolCallId, runToken, outcome, signal),
    ]);
    if (!finished) {
      log.warn('another run took this tool call over; its outcome stands');
      return { outcome: 'superseded' };
    }
    await this.#deliver(toToolResult(data, outcome), undefined, clock.handedOver);
    this.#o.onRun?.(clock.phases());
    return { outcome: 'ran' };
  }

  /**
   * The first run of a tool call (its Redis claim taken, no row yet): calls the tool while the row is written, and
   * hands the result to an agent waiting on this instance while the row and the outcome are written. No MySQL
   * commit is on the way from the function call to its result; the job completes once both are written.
   */
  async #runFirst(
    job: TypedJob<'toolCalls'>,
    data: ToolCallJobData,
    runToken: string,
    claims: ToolCallClaims,
    clock: RunClock,
    log: Logger,
    signal?: AbortSignal,
  ): Promise<ToolCallJobResult> {
    const { callId, toolCallId } = data;
    const dbRetry = { policy: this.#o.dbRetry, ...(signal ? { signal } : {}) };
    // Resolves true when the row is this run's (created claimed by it, or, created by an overlapping run that has
    // not claimed it yet, claimed now); the claim in Redis is dropped once the row exists.
    const row = retryTransient(() => this.#repo.createIfAbsent(newToolCall(data), runToken), dbRetry).then(
      async ({ created }) => {
        await claims.release(callId, toolCallId, runToken).catch((err: unknown) => {
          log.warn({ err }, 'could not release the tool call claim; it expires on its own');
        });
        return created || this.#repo.claim(callId, toolCallId, runToken);
      },
    );
    row.catch(() => undefined); // awaited below; a rejection before then must not go unhandled
    clock.claimed();
    const outcome = await this.#callTool(data, runToken, log, signal, row);
    clock.toolDone();
    // Once the outcome is on the job, a retry after a crash records it instead of calling the tool again: the result
    // can go to the agent while the row is still being written.
    await this.#leaveOutcome(job, runToken, outcome, log);
    const finished = row.then((owned) => owned && this.#finish(callId, toolCallId, runToken, outcome, signal));
    finished.catch(() => undefined);
    let handedOver = false;
    try {
      await this.#deliver(toToolResult(data, outcome), finished, () => {
        handedOver = true;
        clock.handedOver();
      });
    } catch (err) {
      // The agent has the result but the row could not be written: the job's retry records the outcome as
      // delivered instead of handing it over again (the agent no longer waits for it).
      if (handedOver) await this.#leaveOutcome(job, runToken, outcome, log, true);
      throw err;
    }
    this.#o.onRun?.(clock.phases());
    if (!(await finished)) {
      log.warn('another run took this tool call over; its outcome stands');
      return { outcome: 'superseded' };
    }
    return { outcome: 'ran' };
  }

  /** Runs the tool (or reports an unknown one). `row` delays the counting of retries until the row exists. */
  #callTool(
    data: ToolCallJobData,
    runToken: string,
    log: Logger,
    signal?: AbortSignal,
    row?: Promise<unknown>,
  ): Promise<ToolCallOutcome> {
    const { callId, toolCallId } = data;
    const def = this.#o.catalog.resolve(data.name);
    if (!def) {
      return Promise.resolve({
        status: 'failed',
        errorCode: TOOL_ERROR_CODES.unknownTool,
        error: `no tool named ${data.name}`,
      });
    }
    const countAttempt = () => this.#repo.countAttempt(callId, toolCallId, runToken);
    return runTool(def, data, {
      control: this.#o.control,
      controlTimeoutMs: this.#o.controlTimeoutMs,
      countRetry: () =>
        (row ? row.then(countAttempt) : countAttempt()).catch((err: unknown) => {
          log.warn({ err }, 'could not count a tool call attempt');
        }),
      ...(signal ? { signal } : {}),
    });
  }

  /** Leaves the outcome on the job (and whether the agent took it), for a retry after this run fails to record it. */
  #leaveOutcome(
    job: TypedJob<'toolCalls'>,
    runToken: string,
    outcome: ToolCallOutcome,
    log: Logger,
    delivered?: true,
  ): Promise<void> {
    return job.updateProgress({ runToken, outcome, ...(delivered ? { delivered } : {}) }).catch((err: unknown) => {
      log.warn({ err }, 'could not leave the tool outcome on its job');
    });
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
    return this.#interrupt(data, log, signal);
  }

  /** A run that may have called a non-idempotent tool died: report the call failed rather than call it again. */
  async #interrupt(data: ToolCallJobData, log: Logger, signal?: AbortSignal): Promise<ToolCallJobResult> {
    const { callId, toolCallId } = data;
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

  async #deliver(result: ToolCallResult, recorded?: Promise<boolean>, handedOver?: () => void): Promise<void> {
    const routed = await this.#o.router.route(result, recorded, handedOver);
    if (routed === 'unowned') {
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
