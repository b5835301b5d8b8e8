import type { CallsRepository } from '../db/calls-repository.js';
import type { Logger } from '../observability/logger.js';

export interface CallRecordsWait {
  /** The lifecycle-event sink whose buffered events must reach the queue first. */
  sink: { flush(timeoutMs: number): Promise<boolean> };
  calls: Pick<CallsRepository, 'countOpen'>;
  /** Calls that ended and whose end must be stored. */
  ids: readonly string[];
  /** Longest wait, for the flush and then for the records. */
  graceMs: number;
  logger: Logger;
}

/**
 * Waits (up to `graceMs`) until the given calls have their end stored, so the workers are not closed under their last
 * events. Gives up with a warning when the time runs out; the events then stay queued.
 */
export async function waitUntilCallsRecorded(o: CallRecordsWait): Promise<void> {
  if (o.ids.length === 0) return;
  await o.sink.flush(o.graceMs);
  const until = Date.now() + o.graceMs;
  for (;;) {
    const open = await o.calls.countOpen(o.ids);
    if (open === 0) return;
    if (Date.now() >= until) {
      o.logger.warn({ calls: open }, 'ended calls not yet recorded at shutdown; their events stay queued');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
