import type { Logger } from '../observability/logger.js';
import type { LifecycleEventData } from './call-lifecycle.js';
import type { UplinkGap } from './uplink-gap-filler.js';

/** Logs the end of a gap in the caller's audio and records it as `media.gap` (local calls and media workers alike). */
export function reportGapEnded(
  log: Logger,
  record: (type: 'media.gap', data: LifecycleEventData['media.gap']) => void,
  gap: UplinkGap,
): void {
  const durationMs = Math.round(gap.durationMs);
  log.info(
    { gapMs: durationMs, filledFrames: gap.filledFrames, open: gap.open, leading: gap.leading },
    gap.open
      ? 'caller audio gap lasted until the call ended'
      : gap.leading
        ? 'caller audio started late'
        : 'caller audio resumed after a gap',
  );
  const startedAt = new Date(Date.now() - (performance.now() - gap.startedAt));
  record('media.gap', {
    startedAt: startedAt.toISOString(),
    durationMs,
    filledFrames: gap.filledFrames,
    open: gap.open,
    leading: gap.leading,
  });
}
