import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AppMetrics } from '../../../src/observability/metrics.js';
import {
  ProcessMetricsSampler,
  registerWorkerProcessMetrics,
  WORKER_PROCESS_METRICS,
  type WorkerProcessValues,
} from '../../../src/observability/worker-process-metrics.js';
import { workerStatsSchema } from '../../../src/protocols/media-worker/messages.js';

const noMedia = { framesIn: 0, framesOut: 0, bargeIns: 0, playoutUnderruns: 0, playoutOverflowBytes: 0 };

describe("media workers' process metrics", () => {
  it('a worker samples its own process: CPU, memory, heap, event loop delay and handles', async () => {
    const sampler = new ProcessMetricsSampler();
    let x = 0;
    for (let i = 0; i < 2_000_000; i++) x += i % 7; // some CPU time of our own
    expect(x).toBeGreaterThan(0);
    const values = await sampler.sample();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_cpu_system_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_eventloop_lag_max_seconds',
      'nodejs_active_handles_total',
    ])
      expect(values[name], name).toBeTypeOf('number');
    expect(values.process_cpu_user_seconds_total).toBeGreaterThan(0);
    expect(values.process_resident_memory_bytes).toBeGreaterThan(1_000_000);
    // Only the names the primary exports travel.
    expect(Object.keys(values).every((n) => n in WORKER_PROCESS_METRICS)).toBe(true);
    // What it samples fits the stats message it travels in.
    const stats = { calls: 0, media: noMedia, clock: { ticks: 0, late: 0, missed: 0 }, process: values };
    expect(workerStatsSchema.parse(stats).process).toEqual(values);
  });

  it('the stats message refuses process metric names that are not metric names', () => {
    const stats = { calls: 0, media: noMedia, clock: { ticks: 0, late: 0, missed: 0 } };
    expect(workerStatsSchema.safeParse({ ...stats, process: { 'bad name{x="1"}': 1 } }).success).toBe(false);
    expect(workerStatsSchema.safeParse({ ...stats, process: { process_open_fds: 'many' } }).success).toBe(false);
  });

  it('the primary exports each as ava_media_worker_<name>{worker}, next to its own series', async () => {
    const metrics = new AppMetrics({
      activeCalls: () => 0,
      media: () => noMedia,
      clock: () => ({ ticks: 0, late: 0, missed: 0 }),
    });
    let reports: Array<{ worker: number; values: WorkerProcessValues | undefined }> = [
      {
        worker: 0,
        values: {
          process_cpu_user_seconds_total: 1.5,
          process_cpu_system_seconds_total: 0.25,
          process_resident_memory_bytes: 61_000_000,
          nodejs_eventloop_lag_p99_seconds: 0.012,
          nodejs_active_handles_total: 9,
          some_other_metric: 3,
        },
      },
      { worker: 1, values: undefined }, // starting again: no report yet
    ];
    registerWorkerProcessMetrics(metrics.registry, () => reports);
    const { body } = await metrics.render();
    expect(body).toContain('# TYPE ava_media_worker_process_cpu_user_seconds_total counter');
    expect(body).toContain('ava_media_worker_process_cpu_user_seconds_total{worker="0"} 1.5');
    expect(body).toContain('ava_media_worker_process_cpu_system_seconds_total{worker="0"} 0.25');
    expect(body).toContain('# TYPE ava_media_worker_process_resident_memory_bytes gauge');
    expect(body).toContain('ava_media_worker_process_resident_memory_bytes{worker="0"} 61000000');
    expect(body).toContain('ava_media_worker_nodejs_eventloop_lag_p99_seconds{worker="0"} 0.012');
    expect(body).toContain('ava_media_worker_nodejs_active_handles_total{worker="0"} 9');
    expect(body).not.toContain('worker="1"');
    expect(body).not.toContain('some_other_metric');
    // The primary's own default metrics keep their names, without a worker label.
    expect(body).toMatch(/^ava_process_cpu_user_seconds_total \d/m);
    expect(body).toMatch(/^ava_process_resident_memory_bytes \d/m);

    // A replaced worker's counter starts again from its new process's value (a reset for rate()).
    reports = [{ worker: 0, values: { process_cpu_user_seconds_total: 0.1 } }];
    const again = await metrics.render();
    expect(again.body).toContain('ava_media_worker_process_cpu_user_seconds_total{worker="0"} 0.1');
    expect(again.body).not.toContain('ava_media_worker_process_resident_memory_bytes{');
  });

  it('registers nothing beyond the list, in a registry of its own', async () => {
    const registry = new Registry();
    registerWorkerProcessMetrics(registry, () => []);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual(
      Object.keys(WORKER_PROCESS_METRICS)
        .map((n) => `ava_media_worker_${n}`)
        .sort(),
    );
  });
});
