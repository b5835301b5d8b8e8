import { describe, expect, it } from 'vitest';
import { RoundTripLog, summarizeLatencies } from '../../../bench/lib/round-trips.js';

describe('bench round-trip log', () => {
  it('summarizes latencies with floor(p·n) quantiles', () => {
    const s = summarizeLatencies(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(s).toEqual({ count: 100, p50Ms: 51, p90Ms: 91, p99Ms: 100, maxMs: 100, meanMs: 50.5 });
    expect(summarizeLatencies([]).count).toBe(0);
    expect(summarizeLatencies([]).p50Ms).toBeNaN();
  });

  it('selects round trips by send time, counting failures, pending ones and strays', () => {
    const log = new RoundTripLog();
    log.sent('a', 0);
    log.sent('b', 10);
    log.sent('c', 20);
    log.sent('d', 30);
    log.sent('e', 40);
    expect(log.settled('a', 5, true)).toBe(true);
    expect(log.settled('b', 13, true)).toBe(true);
    expect(log.settled('c', 90, false)).toBe(true);
    expect(log.settled('b', 14, true)).toBe(false);
    expect(log.settled('zz', 14, true)).toBe(false);
    log.settled('e', 47, true);
    expect(log.strays).toBe(2);
    const w = log.window(10, 40);
    expect(w.sent).toBe(3);
    expect(w.failures).toBe(1);
    expect(w.pending).toBe(1);
    expect(w.summary.count).toBe(1);
    expect(w.summary.p50Ms).toBe(3);
    expect(log.window(0, 100).summary.maxMs).toBe(7);
    expect(log.settledIn(0, 40).map((r) => [r.id, r.ms, r.ok])).toEqual([
      ['a', 5, true],
      ['b', 3, true],
      ['c', undefined, false],
    ]);
  });
});
