import type { Job, Queue, QueueEvents } from 'bullmq';

/** How waiting for a job ended. */
export type JobOutcome<R> =
  | { kind: 'completed'; value: R }
  | { kind: 'failed'; reason: string }
  | { kind: 'timeout' }
  | { kind: 'aborted'; reason: unknown };

export interface WaitForJobOptions {
  /** Epoch ms after which waiting stops with `timeout`. */
  deadline: number;
  signal?: AbortSignal;
  /**
   * How often the job's state is also read directly, in case a completion event was missed (events published
   * before the reader started, or during a Redis reconnect).
   */
  pollMs?: number;
}

/**
 * Waits until a job completes or fails, reading completion events from `events` and, as a safety net, the job's
 * state every `pollMs`. Never throws: every ending is a `JobOutcome`.
 */
export function waitForJob<R>(
  queue: Queue,
  events: QueueEvents,
  jobId: string,
  options: WaitForJobOptions,
): Promise<JobOutcome<R>> {
  // Per-job events (`completed:<id>`, `failed:<id>`) are emitted by QueueEvents but absent from its typed map.
  const emitter = events as unknown as NodeJS.EventEmitter;
  return new Promise<JobOutcome<R>>((resolve) => {
    let settled = false;
    let pollTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: JobOutcome<R>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadlineTimer);
      if (pollTimer) clearTimeout(pollTimer);
      emitter.off(`completed:${jobId}`, onCompleted);
      emitter.off(`failed:${jobId}`, onFailed);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onCompleted = (args: { returnvalue: unknown }): void =>
      finish({ kind: 'completed', value: args.returnvalue as R });
    const onFailed = (args: { failedReason: string }): void =>
      finish({ kind: 'failed', reason: args.failedReason ?? 'job failed' });
    const onAbort = (): void => finish({ kind: 'aborted', reason: options.signal?.reason });

    const check = async (): Promise<void> => {
      try {
        const state = await queue.getJobState(jobId);
        if (settled) return;
        if (state === 'completed' || state === 'failed') {
          const job = (await queue.getJob(jobId)) as Job | undefined;
          if (!job) return;
          if (state === 'completed') finish({ kind: 'completed', value: job.returnvalue as R });
          else finish({ kind: 'failed', reason: job.failedReason ?? 'job failed' });
        }
      } catch {
        // Redis unreachable: keep waiting for the deadline.
      }
    };
    const poll = (): void => {
      pollTimer = setTimeout(
        () => {
          check().finally(() => {
            if (!settled) poll();
          });
        },
        Math.max(50, options.pollMs ?? 1000),
      );
      pollTimer.unref();
    };

    const deadlineTimer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, options.deadline - Date.now()));
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    emitter.on(`completed:${jobId}`, onCompleted);
    emitter.on(`failed:${jobId}`, onFailed);
    events
      .waitUntilReady()
      .then(() => check())
      .catch(() => undefined)
      .finally(() => {
        if (!settled) poll();
      });
  });
}
