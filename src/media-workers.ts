/**
 * The primary's media workers (MEDIA_WORKERS > 0): which routes keep their calls in the primary, and the pool
 * that forks `media-worker.ts` once per slot. The composition root (app.ts) hands `place` to the Stasis controller.
 */
import { defaultRouteOf } from './calls/index.js';
import {
  type AgentServices,
  ClientWebSocketMedia,
  MediaWorkerPool,
  PrimaryAgentWaits,
  type PrimaryAgentWaitsOptions,
  PrimaryMediaRoutes,
} from './calls/media-workers/index.js';
import type { InvitedAudio } from './calls/agents/invited-agent.js';
import type { Config } from './config/load-config.js';
import { workerRtpPortRange } from './config/rtp-port-split.js';
import type { Route } from './config/routes.js';
import { AppMetrics, addMediaTotals, type MetricsSources } from './observability/metrics.js';
import type { Logger } from './observability/logger.js';
import { registerWorkerProcessMetrics } from './observability/worker-process-metrics.js';
import { forkModule } from './transports/media-worker/fork-module.js';

/**
 * The pool of media workers the configuration asks for, or undefined with MEDIA_WORKERS=0. Routes the workers cannot
 * carry keep their calls' media in the primary (see `primaryMediaRoutes`); nothing is refused.
 */
export function createMediaWorkers(
  config: Config,
  logger: Logger,
  agentServices: AgentServices,
  connectIn: Pick<PrimaryAgentWaitsOptions, 'dialIn' | 'webrtc'> & {
    invited: NonNullable<PrimaryAgentWaitsOptions['invited']> & {
      invitedAudio(callId: string): InvitedAudio | undefined;
    };
  },
): MediaWorkerPool | undefined {
  const count = config.mediaWorkers;
  if (count === 0) return undefined;
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
    agentWaits: new PrimaryAgentWaits({ ...connectIn, routeSecrets: config.routeSecrets, logger }),
    invitedAudio: (callId) => connectIn.invited.invitedAudio(callId),
    // Each worker binds RTP in its own share of the range (when the range can give each one a port).
    ...(config.rtp.maxPort - config.rtp.minPort + 1 >= count && {
      rtpPortsOf: (slot: number) => {
        const share = workerRtpPortRange(config.rtp, count, slot);
        return share.maxPort - share.minPort + 1;
      },
    }),
    logger,
  });
}

/**
 * With media workers and chan_websocket in client mode (`clientId`: the websocket_client.conf entry): what places
 * such calls on workers and hands each of Asterisk's connections to its call's worker before the handshake.
 */
export function clientWebSocketMediaOn(
  pool: MediaWorkerPool | undefined,
  clientId: string | undefined,
): ClientWebSocketMedia | undefined {
  return pool && clientId ? new ClientWebSocketMedia((session) => pool.placeIncoming(session), clientId) : undefined;
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
  const metrics = new AppMetrics(withMediaWorkers(pool, sources));
  // Each worker's own process metrics as `ava_media_worker_<name>{worker}` (the primary's own series unchanged).
  if (pool) registerWorkerProcessMetrics(metrics.registry, () => pool.processMetrics());
  return metrics;
}

/**
 * With MEDIA_WORKERS > 0: the routes whose calls run their media in the primary (workers cannot carry them, or their
 * agent kind is injected into the process), logged once here; undefined with MEDIA_WORKERS=0.
 */
export function primaryMediaRoutes(
  config: Config,
  injectedAgentKinds: readonly string[],
  logger: Logger,
): PrimaryMediaRoutes | undefined {
  if (config.mediaWorkers === 0) return undefined;
  const fallback = defaultRouteOf(config);
  const routes = [...config.routes, ...(fallback ? [fallback] : [])] as Route[];
  const primary = new PrimaryMediaRoutes({
    routes,
    chanWebSocketClient: !!config.chanWebSocket.client,
    injectedAgentKinds,
  });
  primary.logAtStart(logger.child({ component: 'media-workers' }));
  return primary;
}
