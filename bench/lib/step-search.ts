/**
 * The max-calls search of the full-call benchmark, as pure logic: the gap rule a step must meet, the order in which
 * steps run and when the search stops, and the headline of a series. The runs themselves are injected (the calls
 * suite and bench/compare.ts run the load generator; the tests run fakes).
 */
import type { LoadResult } from '../loadgen/types.js';

/** The gap rule: less than this share of downlink frame gaps may exceed 30 ms, percent. */
export const MAX_GAPS_OVER_30_MS_PCT = 0.5;
/** The gap rule: the service's event-loop delay p99 may not exceed this, ms. */
export const MAX_SERVICE_LOOP_P99_MS = 10;

/** Whether a step meets the gap rule in a valid run, and if not, why. */
export interface StepVerdict {
  readonly passed: boolean;
  readonly reasons: readonly string[];
}

/**
 * Judges one load step: it passes when the run is valid (the generator kept up, every call connected), fewer than
 * 0.5 % of the frame gaps exceed 30 ms, and the service's event-loop delay p99 is at most 10 ms (when measured).
 */
export function judgeStep(r: Pick<LoadResult, 'valid' | 'invalidReasons' | 'downlink' | 'server'>): StepVerdict {
  const reasons: string[] = [];
  if (!r.valid) reasons.push(`invalid run: ${r.invalidReasons.join('; ')}`);
  const gaps = r.downlink.gaps.pctOver30Ms;
  if (!(gaps < MAX_GAPS_OVER_30_MS_PCT))
    reasons.push(`gaps > 30 ms ${Number.isFinite(gaps) ? gaps.toFixed(2) : 'n/a'} % ≥ ${MAX_GAPS_OVER_30_MS_PCT} %`);
  const loop = r.server?.eventLoopP99Ms;
  if (loop !== undefined && loop > MAX_SERVICE_LOOP_P99_MS)
    reasons.push(`service event-loop delay p99 ${loop} ms > ${MAX_SERVICE_LOOP_P99_MS} ms`);
  return { passed: reasons.length === 0, reasons };
}

/** One measured step of a search. */
export interface SearchedStep<R> {
  readonly calls: number;
  readonly result: R;
  readonly passed: boolean;
  /** Something else used the service's core during the step (its failure may not be the service's). */
  readonly disturbed: boolean;
  /** This run repeats a disturbed failure of the same step. */
  readonly retry: boolean;
}

export interface SearchOptions<R> {
  /** Steps of concurrent calls; run in ascending order. */
  readonly steps: readonly number[];
  /** Runs one step. */
  readonly run: (calls: number) => Promise<R>;
  readonly judge: (result: R) => { readonly passed: boolean; readonly disturbed: boolean };
  /** The search stops once this many steps failed (default 2: one failure may be noise). */
  readonly maxFailures?: number;
  /** Whether a step of this many calls still fits the time budget (default: always). */
  readonly fits?: (calls: number) => boolean;
}

export interface SearchOutcome<R> {
  readonly done: readonly SearchedStep<R>[];
  /** Steps not run: the search stopped before them, or they did not fit the budget. */
  readonly notRun: readonly number[];
  /**
   * Why the search ended: every step ran, the failures reached the limit, the budget ran out, or a step could not
   * be run at all (`error` says why; the steps before it are kept).
   */
  readonly stopped: 'all steps run' | 'failures' | 'time budget' | 'error';
  readonly error?: string;
}

/**
 * Runs the steps in ascending order until `maxFailures` steps failed or the budget ends. A step that failed while
 * disturbed is run once more (if it fits); only its second run counts. A step whose run throws ends the search.
 */
export async function searchSteps<R>(o: SearchOptions<R>): Promise<SearchOutcome<R>> {
  const steps = [...o.steps].sort((a, b) => a - b);
  const maxFailures = o.maxFailures ?? 2;
  const fits = o.fits ?? (() => true);
  const done: SearchedStep<R>[] = [];
  let failures = 0;
  for (const [i, calls] of steps.entries()) {
    if (!fits(calls)) return { done, notRun: steps.slice(i), stopped: 'time budget' };
    const stopped = (err: unknown): SearchOutcome<R> => ({
      done,
      notRun: steps.slice(i),
      stopped: 'error',
      error: `${calls} calls: ${err instanceof Error ? err.message : String(err)}`,
    });
    let result: R;
    try {
      result = await o.run(calls);
    } catch (err) {
      return stopped(err);
    }
    let verdict = o.judge(result);
    if (!verdict.passed && verdict.disturbed && fits(calls)) {
      done.push({ calls, result, passed: false, disturbed: true, retry: false });
      try {
        result = await o.run(calls);
      } catch (err) {
        return stopped(err);
      }
      verdict = o.judge(result);
      done.push({ calls, result, passed: verdict.passed, disturbed: verdict.disturbed, retry: true });
    } else {
      done.push({ calls, result, passed: verdict.passed, disturbed: verdict.disturbed, retry: false });
    }
    if (!verdict.passed) failures += 1;
    if (failures >= maxFailures) return { done, notRun: steps.slice(i + 1), stopped: 'failures' };
  }
  return { done, notRun: [], stopped: 'all steps run' };
}

/** The headline of a series: the largest step that passed, and whether a smaller step failed. */
export interface SearchHeadline {
  /** Largest passing step; 0 when none passed. */
  readonly maxCalls: number;
  /** The smallest step that failed (its last run), if any. */
  readonly firstFailure: number | undefined;
  /** A step smaller than `maxCalls` failed: the figure is less certain than a clean series. */
  readonly nonMonotonic: boolean;
}

/** Reads the headline off a search's steps (a retried step counts by its last run). */
export function searchHeadline(done: readonly SearchedStep<unknown>[]): SearchHeadline {
  const last = new Map<number, boolean>();
  for (const s of done) last.set(s.calls, s.passed);
  const passing = [...last].filter(([, p]) => p).map(([c]) => c);
  const failing = [...last].filter(([, p]) => !p).map(([c]) => c);
  const maxCalls = passing.length > 0 ? Math.max(...passing) : 0;
  const firstFailure = failing.length > 0 ? Math.min(...failing) : undefined;
  return { maxCalls, firstFailure, nonMonotonic: firstFailure !== undefined && firstFailure < maxCalls };
}
