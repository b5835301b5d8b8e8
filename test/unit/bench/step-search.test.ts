import { describe, expect, it } from 'vitest';
import { compareTable, serviceOrder } from '../../../bench/compare.js';
import { parseSeries, parseSteps } from '../../../bench/lib/load-series.js';
import { gcBetween, gcTotals } from '../../../bench/lib/service-metrics.js';
import { parseServiceEnv } from '../../../bench/lib/service-process.js';
import { judgeStep, searchHeadline, searchSteps } from '../../../bench/lib/step-search.js';

/** The fields of a load result the gap rule reads. */
function step(o: { valid?: boolean; gapsPct: number; loopP99Ms?: number }) {
  return {
    valid: o.valid ?? true,
    invalidReasons: o.valid === false ? ["callers' event-loop delay p99 12.0 ms > 10 ms"] : [],
    downlink: { gaps: { count: 1000, p50Ms: 20, p99Ms: 25, maxMs: 40, pctOver30Ms: o.gapsPct } },
    ...(o.loopP99Ms === undefined
      ? {}
      : {
          server: {
            pid: 1,
            cpuMsPerCallSecond: 2,
            cpuPctOfCore: 50,
            rssMb: 200,
            rssMbPerCall: 0.5,
            eventLoopP99Ms: o.loopP99Ms,
          },
        }),
  } as unknown as Parameters<typeof judgeStep>[0];
}

describe('the gap rule', () => {
  it('passes a valid step with < 0.5 % gaps over 30 ms and loop delay p99 ≤ 10 ms', () => {
    expect(judgeStep(step({ gapsPct: 0.49, loopP99Ms: 10 }))).toEqual({ passed: true, reasons: [] });
    expect(judgeStep(step({ gapsPct: 0 }))).toEqual({ passed: true, reasons: [] });
  });

  it('fails on gaps, on event-loop delay, and on an invalid run, saying why', () => {
    expect(judgeStep(step({ gapsPct: 0.5, loopP99Ms: 3 })).reasons).toEqual(['gaps > 30 ms 0.50 % ≥ 0.5 %']);
    expect(judgeStep(step({ gapsPct: 0.1, loopP99Ms: 10.5 })).reasons).toEqual([
      'service event-loop delay p99 10.5 ms > 10 ms',
    ]);
    const invalid = judgeStep(step({ valid: false, gapsPct: 0.1, loopP99Ms: 2 }));
    expect(invalid.passed).toBe(false);
    expect(invalid.reasons[0]).toMatch(/^invalid run: callers' event-loop delay/);
    // No gaps measured at all (no frames) is not a pass.
    expect(judgeStep(step({ gapsPct: Number.NaN })).passed).toBe(false);
  });
});

describe('the max-calls search', () => {
  /** Runs the search against a fake service that passes up to `capacity` calls; `disturbedAt` fails once, disturbed. */
  async function search(capacity: number, opts: { disturbedAt?: number; flaky?: number; budget?: number } = {}) {
    const runs: number[] = [];
    const disturbedOnce = new Set<number>();
    const outcome = await searchSteps({
      steps: [300, 150, 200, 250, 400, 500],
      run: async (calls) => {
        runs.push(calls);
        if (calls === opts.disturbedAt && !disturbedOnce.has(calls)) {
          disturbedOnce.add(calls);
          return { calls, ok: false, disturbed: true };
        }
        return { calls, ok: calls <= capacity && calls !== opts.flaky, disturbed: false };
      },
      judge: (r) => ({ passed: r.ok, disturbed: r.disturbed }),
      ...(opts.budget === undefined ? {} : { fits: (calls: number) => calls <= opts.budget! }),
    });
    return { runs, outcome, headline: searchHeadline(outcome.done) };
  }

  it('runs the steps in ascending order and stops after the second failure', async () => {
    const { runs, outcome, headline } = await search(250);
    expect(runs).toEqual([150, 200, 250, 300, 400]);
    expect(outcome.notRun).toEqual([500]);
    expect(outcome.stopped).toBe('failures');
    expect(headline).toEqual({ maxCalls: 250, firstFailure: 300, nonMonotonic: false });
  });

  it('runs every step when all pass', async () => {
    const { runs, outcome, headline } = await search(1000);
    expect(runs).toEqual([150, 200, 250, 300, 400, 500]);
    expect(outcome.stopped).toBe('all steps run');
    expect(headline.maxCalls).toBe(500);
  });

  it('carries on past one failing step and says a smaller step failed', async () => {
    const { runs, headline } = await search(400, { flaky: 200 });
    expect(runs).toEqual([150, 200, 250, 300, 400, 500]);
    expect(headline).toEqual({ maxCalls: 400, firstFailure: 200, nonMonotonic: true });
  });

  it('runs a disturbed failure once more and counts only the second run', async () => {
    const { runs, outcome, headline } = await search(300, { disturbedAt: 200 });
    expect(runs).toEqual([150, 200, 200, 250, 300, 400, 500]);
    expect(outcome.done.filter((d) => d.calls === 200).map((d) => [d.passed, d.retry])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(headline).toEqual({ maxCalls: 300, firstFailure: 400, nonMonotonic: false });
  });

  it('lists the steps beyond the time budget as not run', async () => {
    const { runs, outcome, headline } = await search(1000, { budget: 250 });
    expect(runs).toEqual([150, 200, 250]);
    expect(outcome).toMatchObject({ notRun: [300, 400, 500], stopped: 'time budget' });
    expect(headline.maxCalls).toBe(250);
  });

  it('keeps the steps run so far when a step cannot be run, and says why', async () => {
    const outcome = await searchSteps({
      steps: [150, 200, 250],
      run: async (calls) => {
        if (calls === 200) throw new Error('service did not start within 60 s');
        return calls;
      },
      judge: () => ({ passed: true, disturbed: false }),
    });
    expect(outcome.done.map((d) => d.calls)).toEqual([150]);
    expect(outcome).toMatchObject({
      notRun: [200, 250],
      stopped: 'error',
      error: '200 calls: service did not start within 60 s',
    });
  });

  it('reports 0 calls when no step passed', async () => {
    const { runs, headline } = await search(100);
    expect(runs).toEqual([150, 200]);
    expect(headline).toEqual({ maxCalls: 0, firstFailure: 150, nonMonotonic: false });
  });
});

describe('GC time from the service metrics', () => {
  const text = (minor: number, major: number) =>
    [
      '# HELP ava_nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      '# TYPE ava_nodejs_gc_duration_seconds histogram',
      `ava_nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 3`,
      `ava_nodejs_gc_duration_seconds_sum{kind="minor"} ${minor}`,
      `ava_nodejs_gc_duration_seconds_count{kind="minor"} 40`,
      `ava_nodejs_gc_duration_seconds_sum{kind="major"} ${major}`,
      `ava_nodejs_gc_duration_seconds_count{kind="major"} 2`,
      'ava_nodejs_eventloop_lag_seconds 0.001',
    ].join('\n');

  it('sums the pauses of every kind, and the window between two readings', () => {
    const before = gcTotals(text(0.1, 0.02))!;
    expect(before.count).toBe(42);
    expect(before.seconds).toBeCloseTo(0.12, 9);
    expect(before.byKind.major).toEqual({ seconds: 0.02, count: 2 });
    const after = { ...gcTotals(text(0.3, 0.07))!, count: 60 };
    expect(gcBetween(before, after, 10)).toEqual({ pauseMs: 250, pauses: 18, pctOfWindow: 2.5 });
  });

  it('is undefined when the service has no such metric', () => {
    expect(gcTotals('ava_active_calls 3\n')).toBeUndefined();
  });
});

describe('bench command-line values', () => {
  it('parses steps, series and service settings, and refuses bad ones', () => {
    expect(parseSteps('300, 150,150,200')).toEqual([150, 200, 300]);
    expect(() => parseSteps('150,abc')).toThrow(/whole numbers/);
    expect(parseSeries('vad-on-split,vad-off').map((s) => [s.id, s.vad, s.phases, s.pinning])).toEqual([
      ['vad-on-split', true, 20, 'main-thread'],
      ['vad-off', false, 20, 'one-core'],
    ]);
    expect(parseSeries('vad-off-aligned')[0]!.phases).toBe(1);
    expect(() => parseSeries('vad-sideways')).toThrow(/unknown series "vad-sideways"/);
    expect(parseServiceEnv(['A_B=1', 'URL=ws://x/?a=b'])).toEqual({ A_B: '1', URL: 'ws://x/?a=b' });
    expect(() => parseServiceEnv(['NOVALUE'])).toThrow(/KEY=VALUE/);
    expect(() => parseServiceEnv(['1X=2'])).toThrow(/KEY=VALUE/);
  });
});

describe('before/after table', () => {
  const row = (calls: number, gaps: number, loop: number) =>
    ({
      calls,
      vad: false,
      phases: 20,
      pinning: 'one-core',
      cpuMsPerCallSecond: 2.2,
      pctOfCore: 33,
      mainThreadPctOfCore: 30,
      loopP99Ms: loop,
      loopMaxMs: 56,
      gcMs: 120,
      gcPctOfWindow: 1.2,
      gapsOver30Pct: gaps,
      gapP99Ms: 25,
      lostPct: 0,
      uplinkP99Ms: 5,
      generator: '',
      valid: true,
      disturbed: false,
      passed: gaps < 0.5 && loop <= 10,
      reasons: [],
    }) as const;

  it('alternates which service goes first, and marks the figures that miss the gap rule', () => {
    expect([0, 1, 2, 3].map(serviceOrder)).toEqual([
      ['base', 'current'],
      ['current', 'base'],
      ['base', 'current'],
      ['current', 'base'],
    ]);
    const lines = compareTable([
      { service: 'base', series: 'vad-off', repeat: 0, row: row(300, 3.07, 22), result: undefined as never },
      { service: 'current', series: 'vad-off', repeat: 0, row: row(300, 0.2, 3.5), result: undefined as never },
    ]);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe(
      '| 300 | off | 20 | base | 2.2 ms | 33 % (30 %) | **3.07 %** | **22** / 56 ms | 120 ms (1.2 %) | 0 % | yes |',
    );
    expect(lines[3]).toBe(
      '| 300 | off | 20 | current | 2.2 ms | 33 % (30 %) | 0.20 % | 3.5 / 56 ms | 120 ms (1.2 %) | 0 % | yes |',
    );
  });
});
