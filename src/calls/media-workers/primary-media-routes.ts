import type { Route } from '../../config/routes.js';
import type { Logger } from '../../observability/logger.js';
import type { CallSession } from '../call-session.js';
import type { RemoteRtpSocket } from '../media-paths/rtp-media-path.js';
import type { ClientWebSocketMedia } from './client-websocket-media.js';
import type { MediaWorkerPool } from './media-worker-pool.js';
import { mediaWorkerRefusal } from './worker-routes.js';

/** What decides which routes' calls keep their media in the primary process although media workers run. */
export interface PrimaryMediaRoutesOptions {
  /** Every route, the default route included. */
  readonly routes: readonly Route[];
  /** CHAN_WEBSOCKET_CONNECTION=client is configured. */
  readonly chanWebSocketClient: boolean;
  /** Agent kinds whose factory was injected into the process (`createApp(config, { agents })`). */
  readonly injectedAgentKinds: readonly string[];
}

/**
 * The routes whose calls run their media in the primary process with MEDIA_WORKERS > 0, each with why
 * (`mediaWorkerRefusal`, or an agent injected into the process, which cannot cross into a worker). The primary has
 * its own media clock and legs, so these calls are served exactly as with MEDIA_WORKERS=0; every other route's
 * calls go to the workers.
 */
export class PrimaryMediaRoutes {
  readonly #why = new Map<string, string>();

  constructor(o: PrimaryMediaRoutesOptions) {
    const injected = new Set(o.injectedAgentKinds);
    for (const route of o.routes) {
      const why = injected.has(route.agent.kind)
        ? `agent kind ${route.agent.kind} is injected into the process and cannot run on a media worker`
        : mediaWorkerRefusal(route, o.chanWebSocketClient);
      if (why && !this.#why.has(route.name)) this.#why.set(route.name, why);
    }
  }

  /** Why `route`'s calls run their media in the primary, or undefined when they go to the workers. */
  reasonFor(route: Pick<Route, 'name'>): string | undefined {
    return this.#why.get(route.name);
  }

  /** True when `route`'s calls go to the media workers. */
  carries(route: Pick<Route, 'name'>): boolean {
    return !this.#why.has(route.name);
  }

  /** Every route whose calls run in the primary, with why. */
  get routes(): ReadonlyMap<string, string> {
    return this.#why;
  }

  /**
   * The Stasis controller's placement hooks over the pool: a call of a route listed here keeps its media in the
   * primary (`placeMedia`, `placeRtpMedia` and `placeClientWebSocketMedia` answer undefined, `placeWebSocketMedia`
   * false); so does any call while no worker is ready (all starting again), as dialplan-direct calls do. Every
   * other call goes to a worker.
   */
  stasisPlacement(
    pool: Pick<MediaWorkerPool, 'place' | 'placeWebSocket' | 'placeRtp' | 'ready'>,
    client?: Pick<ClientWebSocketMedia, 'place'>,
  ): {
    placeMedia: (session: CallSession, uuid: string) => string | undefined;
    placeWebSocketMedia: (session: CallSession, connectionId: string, format: 'slin' | 'slin16') => boolean;
    placeRtpMedia: (session: CallSession) => Promise<RemoteRtpSocket> | undefined;
    placeClientWebSocketMedia?: (session: CallSession, format: 'slin' | 'slin16') => string | undefined;
  } {
    return {
      ...(client && {
        placeClientWebSocketMedia: (session: CallSession, format: 'slin' | 'slin16') =>
          this.#toWorker(session, pool) ? client.place(session, format) : undefined,
      }),
      placeMedia: (session, uuid) => (this.#toWorker(session, pool) ? pool.place(session, uuid) : undefined),
      placeRtpMedia: (session) => (this.#toWorker(session, pool) ? pool.placeRtp(session) : undefined),
      placeWebSocketMedia: (session, connectionId, format) => {
        if (!this.#toWorker(session, pool)) return false;
        pool.placeWebSocket(session, connectionId, format);
        return true;
      },
    };
  }

  #toWorker(session: CallSession, pool: Pick<MediaWorkerPool, 'ready'>): boolean {
    if (!this.carries(session.info.route)) return false;
    if (pool.ready) return true;
    session.log.warn({ worker: 'primary' }, 'no media worker is ready; the call runs in the primary process');
    return false;
  }

  /** Logs, once per route, which routes run their calls' media in the primary and why. */
  logAtStart(logger: Logger): void {
    for (const [route, reason] of this.#why)
      logger.info(
        { route, worker: 'primary', reason },
        'route runs its calls in the primary process, not on media workers',
      );
  }
}
