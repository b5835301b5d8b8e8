import { addMediaTotals } from '../../observability/metrics.js';
import type { WorkerStats } from '../../protocols/media-worker/messages.js';

/** Totals of no worker (a slot's retired totals start here). */
export function zeroStats(): WorkerStats {
  return {
    calls: 0,
    media: { framesIn: 0, framesOut: 0, bargeIns: 0, playoutUnderruns: 0, playoutOverflowBytes: 0 },
    clock: { ticks: 0, late: 0, missed: 0 },
    vad: { inferenceMs: 0, windowsInferred: 0 },
    rtp: { packetsIn: 0, packetsOut: 0, lost: 0, wrongSource: 0, portRefusals: 0, portsInUse: 0 },
  };
}

/** Adds `s` (a worker's report) into `into`; returns `into`. */
export function addStats(into: WorkerStats, s: WorkerStats | undefined): WorkerStats {
  if (!s) return into;
  addMediaTotals(into.media, s.media);
  into.clock.ticks += s.clock.ticks;
  into.clock.late += s.clock.late;
  into.clock.missed += s.clock.missed;
  if (into.vad && s.vad) {
    into.vad.inferenceMs += s.vad.inferenceMs;
    into.vad.windowsInferred += s.vad.windowsInferred;
  }
  if (into.rtp && s.rtp) for (const k of Object.keys(into.rtp) as (keyof typeof s.rtp)[]) into.rtp[k] += s.rtp[k];
  return into;
}
