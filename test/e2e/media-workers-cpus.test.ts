import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { workerVadSettings } from '../../src/calls/media-workers/index.js';
import { startTestApp } from '../support/app-harness.js';

/** The CPUs a process (or thread) may run on, from /proc (Linux). */
function allowedCpus(pid: number | 'self'): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
  if (!line) throw new Error(`no Cpus_allowed_list in /proc/${pid}/status`);
  return line.split(':')[1]!.trim();
}

describe('media workers and the CPUs of the VAD placement', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop(1000);
    app = undefined;
  }, 60_000);

  it('VAD_WORKER_CPUS=auto places nothing in a worker; an explicit list or off stays as it is', () => {
    const vad = (env: Record<string, string>) => loadConfig({ env: { MEDIA_WORKERS: '0', ...env } }).vad;
    expect(workerVadSettings(vad({})).workerCpus).toBe('off');
    expect(workerVadSettings(vad({ VAD_WORKER_CPUS: '1' })).workerCpus).toBe('1');
    expect(workerVadSettings(vad({ VAD_WORKER_CPUS: 'off' })).workerCpus).toBe('off');
    expect(workerVadSettings(vad({})).threshold).toBe(vad({}).threshold);
  });

  it('workers keep every CPU of the service although its VAD pins its own event loop (VAD=silero, auto)', async () => {
    const before = allowedCpus('self');
    const started = await startTestApp({ MEDIA_WORKERS: '2', VAD: 'silero', VAD_WORKER_CPUS: 'auto' });
    app = started.app;
    const pool = app.mediaWorkers!;
    // With two CPUs or more, the service's own event loop was moved off the VAD thread's CPU…
    if (availableParallelism() >= 2)
      expect(started.logs.find('VAD engine ready')[0]).toMatchObject({ eventLoopCpus: expect.any(String) });
    // …but its workers still run anywhere the service could before.
    for (const worker of [0, 1]) expect(allowedCpus(pool.pidOf(worker)!)).toBe(before);
  }, 90_000);
});
