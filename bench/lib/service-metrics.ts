/**
 * What the benchmarks read from the service's Prometheus metrics (`GET /metrics` on its HTTP port): the time its
 * main thread spent in garbage-collection pauses, from prom-client's default `nodejs_gc_duration_seconds` histogram
 * (`ava_` prefix), which the service and older commits of it all expose. Read before and after a window, the
 * difference is the GC time of that window.
 */

/** Name of the service's GC pause histogram. */
export const GC_METRIC = 'ava_nodejs_gc_duration_seconds';

/** GC pauses since the service started: total seconds and count, per kind (minor, major, incremental, weakcb). */
export interface GcTotals {
  readonly seconds: number;
  readonly count: number;
  readonly byKind: Readonly<Record<string, { readonly seconds: number; readonly count: number }>>;
}

/** Sums the `_sum` and `_count` series of {@link GC_METRIC} in a Prometheus text exposition; undefined when absent. */
export function gcTotals(metricsText: string): GcTotals | undefined {
  const byKind: Record<string, { seconds: number; count: number }> = {};
  let found = false;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(GC_METRIC)) continue;
    const m = /^(\S+?)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', value] = m;
    const field = name === `${GC_METRIC}_sum` ? 'seconds' : name === `${GC_METRIC}_count` ? 'count' : undefined;
    if (!field) continue;
    found = true;
    const kind = /(?:^|,)kind="([^"]*)"/.exec(labels)?.[1] ?? 'all';
    const entry = byKind[kind] ?? { seconds: 0, count: 0 };
    entry[field] += Number(value);
    byKind[kind] = entry;
  }
  if (!found) return undefined;
  const all = Object.values(byKind);
  return {
    seconds: all.reduce((s, k) => s + k.seconds, 0),
    count: all.reduce((s, k) => s + k.count, 0),
    byKind,
  };
}

/** GC between two readings: pause ms, pauses, and the share of `windowS` spent paused, %. */
export function gcBetween(
  before: GcTotals,
  after: GcTotals,
  windowS: number,
): { readonly pauseMs: number; readonly pauses: number; readonly pctOfWindow: number } {
  const pauseMs = 1000 * (after.seconds - before.seconds);
  return {
    pauseMs: +pauseMs.toFixed(1),
    pauses: after.count - before.count,
    pctOfWindow: +((100 * pauseMs) / (1000 * windowS)).toFixed(2),
  };
}

/** Reads the GC totals of the service whose HTTP server is on 127.0.0.1:`httpPort`; undefined when unreadable. */
export async function readServiceGc(httpPort: number): Promise<GcTotals | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    return gcTotals(await res.text());
  } catch {
    return undefined;
  }
}
