import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * The process metrics each media worker reports (prom-client's default metrics of the worker's own process, the
 * unlabelled ones worth watching per worker), by prom-client name, with the kind the primary exports them as.
 * The primary exports each as `ava_media_worker_<name>{worker="<slot>"}`; its own `ava_process_*`/`ava_nodejs_*`
 * series stay as they are.
 */
export const WORKER_PROCESS_METRICS = {
  process_cpu_user_seconds_total: { kind: 'counter', help: 'User CPU time spent, in seconds.' },
  process_cpu_system_seconds_total: { kind: 'counter', help: 'System CPU time spent, in seconds.' },
  process_cpu_seconds_total: { kind: 'counter', help: 'User and system CPU time spent, in seconds.' },
  process_resident_memory_bytes: { kind: 'gauge', help: 'Resident memory size, in bytes.' },
  process_open_fds: { kind: 'gauge', help: 'Open file descriptors.' },
  nodejs_heap_size_total_bytes: { kind: 'gauge', help: 'V8 heap size, in bytes.' },
  nodejs_heap_size_used_bytes: { kind: 'gauge', help: 'V8 heap used, in bytes.' },
  nodejs_external_memory_bytes: { kind: 'gauge', help: 'Memory of C++ objects bound to JavaScript, in bytes.' },
  nodejs_eventloop_lag_p50_seconds: { kind: 'gauge', help: 'Median event loop delay over its last report.' },
  nodejs_eventloop_lag_p99_seconds: { kind: 'gauge', help: '99th percentile event loop delay over its last report.' },
  nodejs_eventloop_lag_max_seconds: { kind: 'gauge', help: 'Longest event loop delay over its last report.' },
  nodejs_active_handles_total: { kind: 'gauge', help: 'Active libuv handles (sockets, timers, servers).' },
  nodejs_active_requests_total: { kind: 'gauge', help: 'Active libuv requests.' },
} as const satisfies Record<string, { kind: 'counter' | 'gauge'; help: string }>;

export type WorkerProcessMetricName = keyof typeof WORKER_PROCESS_METRICS;
/** One worker's process metrics, by prom-client name (a name its Node does not give is absent). */
export type WorkerProcessValues = Partial<Record<string, number>>;

/** The prefix of the primary's series of its workers' process metrics. */
export const WORKER_PROCESS_PREFIX = 'ava_media_worker_';

/**
 * A worker's own process metrics: prom-client's default metrics in a registry of their own, read on demand. The
 * event loop delay percentiles cover the time since the previous read (prom-client resets them on each read).
 */
export class ProcessMetricsSampler {
  readonly #registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.#registry });
  }

  /** The values of `WORKER_PROCESS_METRICS` now. */
  async sample(): Promise<WorkerProcessValues> {
    const out: WorkerProcessValues = {};
    for (const m of await this.#registry.getMetricsAsJSON()) {
      if (!(m.name in WORKER_PROCESS_METRICS)) continue;
      const value = m.values.find((v) => Object.keys(v.labels ?? {}).length === 0)?.value;
      if (typeof value === 'number' && Number.isFinite(value)) out[m.name] = value;
    }
    return out;
  }
}

/**
 * Registers `ava_media_worker_<name>{worker}` for every name of `WORKER_PROCESS_METRICS` in `registry`, read from
 * `read()` at scrape time: one series per worker that has reported (a worker starting again has none until its
 * first report; its CPU counters then start again from 0, which Prometheus's rate() reads as a reset).
 */
export function registerWorkerProcessMetrics(
  registry: Registry,
  read: () => ReadonlyArray<{ worker: number; values: WorkerProcessValues | undefined }>,
): void {
  for (const [name, { kind, help }] of Object.entries(WORKER_PROCESS_METRICS)) {
    const collect = function (this: Gauge<'worker'> | Counter<'worker'>) {
      this.reset();
      for (const { worker, values } of read()) {
        const value = values?.[name];
        if (value === undefined) continue;
        if (this instanceof Gauge) this.set({ worker: String(worker) }, value);
        else this.inc({ worker: String(worker) }, value);
      }
    };
    const options = {
      name: `${WORKER_PROCESS_PREFIX}${name}`,
      help: `Media worker process, by worker: ${help}`,
      labelNames: ['worker'] as const,
      registers: [registry],
      collect,
    };
    if (kind === 'counter') new Counter(options);
    else new Gauge(options);
  }
}
