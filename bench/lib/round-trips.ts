/**
 * Round trips timed at one end: `sent(id, at)` when a request leaves, `settled(id, at, ok)` when its answer
 * arrives (or `ok: false` for a failure or timeout). Windows select the round trips by the time they were sent.
 */
import { percentile } from './stats.js';

export interface RoundTrip {
  readonly id: string;
  readonly sentAt: number;
  /** Undefined while no answer came. */
  readonly ms: number | undefined;
  readonly ok: boolean;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** p50/p90/p99/max/mean of durations (ms); NaN figures when empty. */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    meanMs: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

export class RoundTripLog {
  readonly #pending = new Map<string, number>();
  readonly #done: RoundTrip[] = [];
  /** Answers for ids never sent, or settled twice. */
  strays = 0;

  sent(id: string, at: number): void {
    this.#pending.set(id, at);
  }

  /** Records the answer (or failure) of a round trip; false for an id that is not pending. */
  settled(id: string, at: number, ok: boolean): boolean {
    const sentAt = this.#pending.get(id);
    if (sentAt === undefined) {
      this.strays += 1;
      return false;
    }
    this.#pending.delete(id);
    this.#done.push({ id, sentAt, ms: ok ? at - sentAt : undefined, ok });
    return true;
  }

  /** Round trips sent in [from, to) still without an answer. */
  pendingIn(from: number, to: number): number {
    let n = 0;
    for (const at of this.#pending.values()) if (at >= from && at < to) n += 1;
    return n;
  }

  /** The settled round trips (answered or failed) sent in [from, to). */
  settledIn(from: number, to: number): RoundTrip[] {
    return this.#done.filter((r) => r.sentAt >= from && r.sentAt < to);
  }

  /** Round trips sent in [from, to): latencies of the answered ones, failures, and those still pending. */
  window(from: number, to: number): { summary: LatencySummary; sent: number; failures: number; pending: number } {
    const ms: number[] = [];
    let failures = 0;
    for (const r of this.#done) {
      if (r.sentAt < from || r.sentAt >= to) continue;
      if (r.ok && r.ms !== undefined) ms.push(r.ms);
      else failures += 1;
    }
    const pending = this.pendingIn(from, to);
    return { summary: summarizeLatencies(ms), sent: ms.length + failures + pending, failures, pending };
  }
}
