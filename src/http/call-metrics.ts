import type { CallRegistry } from '../calls/call-registry.js';
import type { LifecycleEvent } from '../calls/call-lifecycle.js';
import type { CallSession } from '../calls/call-session.js';
import { assertNever } from '../lib/assert-never.js';
import { type AppMetrics, addMediaTotals, type MediaTotals } from '../observability/metrics.js';

function bridgeTotals(session: CallSession): MediaTotals {
  const bridge = session.bridge;
  if (!bridge) return { framesIn: 0, framesOut: 0, bargeIns: 0, playoutUnderruns: 0, playoutOverflowBytes: 0 };
  return {
    framesIn: bridge.stats.framesIn,
    framesOut: bridge.stats.framesOut,
    bargeIns: bridge.stats.bargeIns,
    playoutUnderruns: bridge.playout.stats.underruns,
    playoutOverflowBytes: bridge.playout.stats.overflowBytes,
  };
}

/**
 * Feeds call metrics from the registry: outcomes and agent connect times from each session's lifecycle events, and
 * media totals (ended calls' final counts plus live calls' current ones) on demand.
 */
export class CallMetricsCollector {
  readonly #registry: CallRegistry;
  readonly #metrics: () => AppMetrics | undefined;
  readonly #ended: MediaTotals = {
    framesIn: 0,
    framesOut: 0,
    bargeIns: 0,
    playoutUnderruns: 0,
    playoutOverflowBytes: 0,
  };
  readonly #onAdded = (session: CallSession) => this.#watch(session);
  #started = false;

  constructor(registry: CallRegistry, metrics: () => AppMetrics | undefined) {
    this.#registry = registry;
    this.#metrics = metrics;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#registry.on('added', this.#onAdded);
  }

  /** Stops watching new calls. Idempotent. */
  close(): Promise<void> {
    this.#registry.off('added', this.#onAdded);
    return Promise.resolve();
  }

  /** Media totals over every call this instance has carried. */
  mediaTotals(): MediaTotals {
    const out = { ...this.#ended };
    for (const session of this.#registry.list()) addMediaTotals(out, bridgeTotals(session));
    return out;
  }

  #watch(session: CallSession): void {
    let mediaAt: number | undefined;
    const onEvent = (ev: LifecycleEvent) => {
      const metrics = this.#metrics();
      switch (ev.type) {
        case 'media.connected':
          mediaAt = ev.at.getTime();
          return;
        case 'agent.connected':
          if (mediaAt !== undefined) metrics?.agentConnected(Math.max(0, ev.at.getTime() - mediaAt) / 1000);
          return;
        case 'agent.failed':
          metrics?.agentFailed(ev.data.code);
          return;
        case 'media.gap':
          metrics?.mediaGap(ev.data.durationMs / 1000);
          return;
        case 'call.started':
        case 'ari.failed':
        case 'answered':
        case 'media.requested':
        case 'media.left_bridge':
        case 'media.timeout':
        case 'dtmf':
        case 'amd.result':
        case 'action':
        case 'control':
        case 'transcript':
        case 'recording.started':
        case 'recording.finished':
        case 'webrtc.negotiated':
        case 'webrtc.connected':
        case 'webrtc.failed':
        case 'transfer.started':
        case 'transfer.ringing':
        case 'transfer.answered':
        case 'transfer.summary_played':
        case 'transfer.completed':
        case 'transfer.failed':
        case 'call.ended':
          return;
        default:
          assertNever(ev, 'lifecycle event');
      }
    };
    session.on('event', onEvent);
    session.once('ended', (summary) => {
      session.off('event', onEvent);
      addMediaTotals(this.#ended, bridgeTotals(session));
      this.#metrics()?.callEnded(summary.reason);
    });
  }
}
