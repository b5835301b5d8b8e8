import type { MediaClock } from '../audio/media-clock.js';
import type { Logger } from '../observability/logger.js';
import type { CallTelephony } from './call-control.js';
import type { LifecycleEventData, LifecycleEventType } from './call-lifecycle.js';
import type { CloseReason } from './close-reason.js';
import type { MediaBridge } from './media-bridge.js';
import { type SilenceRule, SilenceWatchdog } from './silence-watchdog.js';
import type { UplinkGap } from './uplink-gap-filler.js';

/** What the caller-media watch needs of its call. */
export interface WatchedCall {
  readonly log: Logger;
  record<K extends LifecycleEventType>(type: K, data: LifecycleEventData[K]): void;
  close(reason: CloseReason): Promise<void>;
}

/** Logs and records a gap in the caller's audio once it ended (or the call ended during it). */
export function reportUplinkGap(call: Pick<WatchedCall, 'log' | 'record'>, gap: UplinkGap): void {
  const durationMs = Math.round(gap.durationMs);
  call.log.info(
    { gapMs: durationMs, filledFrames: gap.filledFrames, open: gap.open, leading: gap.leading },
    gap.open
      ? 'caller audio gap lasted until the call ended'
      : gap.leading
        ? 'caller audio started late'
        : 'caller audio resumed after a gap',
  );
  const startedAt = new Date(Date.now() - (performance.now() - gap.startedAt));
  call.record('media.gap', {
    startedAt: startedAt.toISOString(),
    durationMs,
    filledFrames: gap.filledFrames,
    open: gap.open,
    leading: gap.leading,
  });
}

/**
 * Ends the call on inbound silence only when the leg is dead (see `SilenceWatchdog`): Stasis calls ask ARI
 * (`telephony.liveness`), dialplan-direct calls use a limit. The watchdog ticks on the media clock until
 * `unsubscribe()`.
 */
export function watchCallSilence(
  call: WatchedCall,
  bridge: MediaBridge,
  silence: { readonly ariCheckAfterMs: number; readonly directLimitMs: number },
  tel: CallTelephony | undefined,
  clock: MediaClock,
): { watchdog: SilenceWatchdog; unsubscribe: () => void } {
  const watchdog = silenceWatchdog(call, silence, tel);
  return { watchdog, unsubscribe: clock.subscribe(() => watchdog.tick(bridge.uplinkSilentMs)) };
}

/**
 * The call's dead-leg watchdog, to be fed its caller's silence on the wire (`tick`): by the media clock for a local
 * leg, by the media worker's reports for a call on a worker. It ends the call (`media_timeout`) and records why.
 */
export function silenceWatchdog(
  call: WatchedCall,
  silence: { readonly ariCheckAfterMs: number; readonly directLimitMs: number },
  tel: CallTelephony | undefined,
): SilenceWatchdog {
  const liveness = tel?.liveness?.bind(tel);
  const rule: SilenceRule = liveness
    ? { kind: 'ari', checkAfterMs: silence.ariCheckAfterMs }
    : { kind: 'limit', limitMs: silence.directLimitMs };
  return new SilenceWatchdog({
    rule,
    ...(liveness ? { probe: liveness } : {}),
    onChecked: (l, silentMs) =>
      call.log.info(
        { silentMs: Math.round(silentMs), liveness: l },
        'caller silent on the wire, but the call is still up in Asterisk; keeping it',
      ),
    onEnd: (cause, silentMs, l) => {
      call.log.warn(
        { cause, silentMs: Math.round(silentMs), ...(l ? { liveness: l } : {}) },
        'caller media stopped and the leg is dead; ending the call',
      );
      call.record('media.timeout', { cause, silentMs: Math.round(silentMs), ...(l ? { liveness: l } : {}) });
      void call.close('media_timeout');
    },
  });
}
