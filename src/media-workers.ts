/**
 * The primary's media workers (MEDIA_WORKERS > 0): checks that every route can run on them, and builds the pool
 * that forks `media-worker.ts` once per slot. The composition root (app.ts) hands `place` to the Stasis controller.
 */
import { defaultRouteOf } from './calls/index.js';
import { type AgentServices, MediaWorkerPool, mediaWorkerRefusal } from './calls/media-workers/index.js';
import type { Config } from './config/load-config.js';
import { AppError } from './errors/app-error.js';
import { AppMetrics, addMediaTotals, type MetricsSources } from './observability/metrics.js';
import type { Logger } from './observability/logger.js';
import { forkModule } from './transports/media-worker/fork-module.js';

/**
 * The pool of media workers the configuration asks for, or undefined with MEDIA_WORKERS=0. Throws
 * MEDIA_WORKERS_UNSUPPORTED naming the first route that cannot run on workers yet, and when agents are injected
 * in-process (they cannot cross into a worker).
 */
export function createMediaWorkers(
  config: Config,
  logger: Logger,
  injectedAgents: boolean,
  agentServices: AgentServices,
): MediaWorkerPool | undefined {
  const count = config.mediaWorkers;
  if (count === 0) return undefined;
  const fail = (why: string) =>
    new AppError(`MEDIA_WORKERS=${count}: ${why}; use MEDIA_WORKERS=0 for it`, {
      code: 'MEDIA_WORKERS_UNSUPPORTED',
      category: 'configuration',
    });
  if (injectedAgents) throw fail('agents injected into the process cannot run on media workers');
  const fallback = defaultRouteOf(config);
  for (const route of [...config.routes, ...(fallback ? [fallback] : [])]) {
    const why = mediaWorkerRefusal(route as Parameters<typeof mediaWorkerRefusal>[0], !!config.chanWebSocket.client);
    if (why) throw fail(`route "${route.name}": ${why}`);
  }
  const entry = new URL(import.meta.url.endsWith('.ts') ? './media-worker.ts' : './media-worker.js', import.meta.url);
  // Asterisk dials the worker's port on the host it would dial the primary's AudioSocket on.
  const advertised = config.audiosocket.advertiseHost;
  const advertiseHost = advertised ? advertised.replace(/:\d+$/, '') : '127.0.0.1';
  return new MediaWorkerPool({
    count,
    spawn: () => forkModule(entry),
    // The configuration is plain data (validated and frozen by loadConfig): it crosses as JSON.
    init: (worker) => ({ type: 'init', worker, config: JSON.parse(JSON.stringify(config)) as unknown }),
    advertiseHost,
    agentServices,
    logger,
  });
}

/**
 * The metrics sources of the primary with its media workers' totals added (frames, playout, barge-ins, media clock
 * and VAD summed over the primary and every worker) and the per-worker gauges. Unchanged without workers.
 */
export function withMediaWorkers(pool: MediaWorkerPool | undefined, sources: MetricsSources): MetricsSources {
  if (!pool) return sources;
  return {
    ...sources,
    media: () => addMediaTotals({ ...sources.media() }, pool.totals().media),
    clock: () => {
      const own = sources.clock();
      const w = pool.totals().clock;
      return { ticks: own.ticks + w.ticks, late: own.late + w.late, missed: own.missed + w.missed };
    },
    vad: () => {
      const own = sources.vad?.();
      const w = pool.totals().vad;
      return {
        inferenceMs: (own?.inferenceMs ?? 0) + w.inferenceMs,
        windowsInferred: (own?.windowsInferred ?? 0) + w.windowsInferred,
      };
    },
    rtp: () => {
      const w = pool.totals().rtp;
      const own = sources.rtp?.();
      return {
        packetsIn: w.packetsIn + (own?.packetsIn ?? 0),
        packetsOut: w.packetsOut + (own?.packetsOut ?? 0),
        lost: w.lost + (own?.lost ?? 0),
        wrongSource: w.wrongSource + (own?.wrongSource ?? 0),
        portRefusals: w.portRefusals + (own?.portRefusals ?? 0),
        portsInUse: w.portsInUse + (own?.portsInUse ?? 0),
      };
    },
    workers: () => pool.workers,
  };
}

/** The primary's metrics, its media workers' included (see `withMediaWorkers`). */
export function appMetricsWith(pool: MediaWorkerPool | undefined, sources: MetricsSources): AppMetrics {
  return new AppMetrics(withMediaWorkers(pool, sources));
}
