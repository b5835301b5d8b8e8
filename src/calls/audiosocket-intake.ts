import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Route } from '../config/routes.js';
import { AppError } from '../errors/app-error.js';
import type { AdmissionDecision, AudioSocketAdmission } from '../transports/audiosocket/admission.js';
import type { AudioSocketConnection } from '../transports/audiosocket/audiosocket-connection.js';
import type { UuidRegistry } from '../transports/audiosocket/uuid-registry.js';
import { stopReading } from '../transports/media-worker/upgrade-handoff.js';
import { AudioSocketLeg } from './audiosocket-leg.js';
import type { CallRegistry } from './call-registry.js';
import type { CallSession } from './call-session.js';
import type { RouteMatcher } from './route-matcher.js';
import type { SessionFactory } from './session-factory.js';

/** What an admitted AudioSocket connection belongs to. */
export type AudioSocketContext =
  /** A call the Stasis controller (or the API) is waiting for. */
  | { kind: 'expected'; session: CallSession }
  /** A dialplan-direct call: the route is known, the session is made on connect. */
  | { kind: 'direct'; route: Route };

export interface AudioSocketIntakeOptions {
  /** AUDIOSOCKET_ALLOW_ANY_UUID: admit UUIDs no route names (to the first catch-all route, or the default route). */
  allowAnyUuid: boolean;
  routes: RouteMatcher;
  /** Route of unknown UUIDs when no routes are configured (with allowAnyUuid). */
  defaultRoute: Route | undefined;
  /** Pre-registered UUIDs of calls a session already exists for (Stasis externalMedia legs). */
  expectedUuids: UuidRegistry<CallSession>;
  /** Dialplan-direct UUIDs pre-registered to a route (REST `PUT /v1/audiosocket-routes/:uuid`). */
  directUuids: UuidRegistry<Route>;
  registry: CallRegistry;
  makeSession: SessionFactory;
  /** False while shutting down: every connection is refused. */
  accepting: () => boolean;
  /** Media workers (MEDIA_WORKERS > 0): dialplan-direct calls are handed over to them while one is ready. */
  mediaWorkers?: MediaWorkerHandOver | undefined;
  /** With media workers: false for a route whose calls run their media here (see `PrimaryMediaRoutes`). */
  carriedByWorkers?: ((route: Route) => boolean) | undefined;
}

/** The part of the media worker pool the intake uses. */
export interface MediaWorkerHandOver {
  readonly ready: boolean;
  handOver(session: CallSession, uuid: string, socket: Socket, raw: Buffer): void;
}

/**
 * Call intake over AudioSocket: admits a connection by its UUID (an expected call, a registered UUID, a route's
 * UUID, or any UUID when allowed), picks its route, and turns it into a session and a leg.
 */
export class AudioSocketIntake implements AudioSocketAdmission<AudioSocketContext> {
  readonly #o: AudioSocketIntakeOptions;

  constructor(options: AudioSocketIntakeOptions) {
    this.#o = options;
  }

  admit(uuid: string): AdmissionDecision<AudioSocketContext> {
    if (!this.#o.accepting()) return { accept: false, reason: 'shutting_down' };
    const expected = this.#o.expectedUuids.admit(uuid);
    if (expected.accept) return { accept: true, context: { kind: 'expected', session: expected.context } };
    const registered = this.#o.directUuids.admit(uuid);
    if (registered.accept) return { accept: true, context: { kind: 'direct', route: registered.context } };
    const route = this.#directRoute(uuid);
    if (route) return { accept: true, context: { kind: 'direct', route } };
    return { accept: false, reason: expected.reason, ...(expected.detail ? { detail: expected.detail } : {}) };
  }

  /** True when a route of this name exists (a configured route or the default route). */
  routeExists(name: string): boolean {
    return this.#routeByName(name) !== undefined;
  }

  /**
   * Registers a dialplan-direct UUID to the route of this name for `ttlMs` (REST `PUT /v1/audiosocket-routes/:uuid`).
   * Throws ROUTE_NOT_FOUND when there is no such route.
   */
  register(uuid: string, routeName: string, ttlMs: number): void {
    const route = this.#routeByName(routeName);
    if (!route) throw new AppError(`no route named "${routeName}"`, { code: 'ROUTE_NOT_FOUND', category: 'not_found' });
    this.#o.directUuids.register(uuid, route, ttlMs);
  }

  #routeByName(name: string): Route | undefined {
    const fallback = this.#o.defaultRoute;
    return this.#o.routes.byName(name) ?? (fallback && fallback.name === name ? fallback : undefined);
  }

  /**
   * With media workers, a dialplan-direct call's session is made here (its state machine stays in this process) and
   * its socket goes to a worker, which carries the media. No worker ready: the call is served here.
   */
  handOff(uuid: string, context: AudioSocketContext, socket: Socket, raw: Buffer): boolean {
    const workers = this.#o.mediaWorkers;
    if (!workers?.ready || context.kind !== 'direct') return false;
    if (this.#o.carriedByWorkers?.(context.route) === false) return false; // served here, as without workers
    const session = this.#directSession(uuid, context.route);
    try {
      // The handshake only paused the socket: what Node read since is in its buffer, and goes along (read first).
      workers.handOver(session, uuid, socket, Buffer.concat([raw, ...stopReading(socket)]));
    } catch (err) {
      session.log.error({ err }, 'handing the call over to a media worker failed');
      socket.destroy();
      void session.close('media_unavailable');
    }
    return true;
  }

  /** Takes an admitted connection: finds or makes its session and attaches the connection as the call's leg. */
  accept(conn: AudioSocketConnection<AudioSocketContext>): void {
    const session = this.#sessionOf(conn);
    if (!session) return;
    // Until Asterisk's first audio frame names the format, the leg assumes the one the route asked for.
    const leg = new AudioSocketLeg(conn, session.info.legFormat);
    session.attachLeg(leg).catch((err: unknown) => session.log.error({ err }, 'attaching media failed'));
  }

  #sessionOf(conn: AudioSocketConnection<AudioSocketContext>): CallSession | undefined {
    const ctx = conn.context;
    switch (ctx.kind) {
      case 'expected': {
        const session = ctx.session;
        if (session.closing) {
          session.log.info({ uuid: conn.uuid }, 'AudioSocket connected for a call that already ended; closing it');
          conn.close().catch((err: unknown) => session.log.warn({ err }, 'closing a late AudioSocket failed'));
          return undefined;
        }
        return session;
      }
      case 'direct':
        return this.#directSession(conn.uuid, ctx.route);
      default: {
        const never: never = ctx;
        throw new Error(`unknown AudioSocket context ${JSON.stringify(never)}`);
      }
    }
  }

  #directSession(uuid: string, route: Route): CallSession {
    const session = this.#o.makeSession({
      callId: randomUUID(),
      direction: 'inbound',
      caller: undefined,
      callee: undefined,
      route,
      channelId: undefined,
      startedAt: new Date(),
      customParameters: { ...route.customParameters, audiosocketUuid: uuid },
    });
    this.#o.registry.add(session, [uuid]);
    session.log.info({ uuid, agent: route.agent.kind }, 'dialplan-direct call connected');
    return session;
  }

  /**
   * Route for a dialplan-direct UUID: a route naming it; with AUDIOSOCKET_ALLOW_ANY_UUID, else the first catch-all
   * route, else the default route.
   */
  #directRoute(uuid: string): Route | undefined {
    const named = this.#o.routes.allowsUuid(uuid);
    if (named) return named;
    // Anyone who can reach the port could otherwise start agent calls: unknown UUIDs only when allowed.
    if (!this.#o.allowAnyUuid) return undefined;
    return this.#o.routes.match({ audiosocketUuid: uuid }) ?? this.#o.defaultRoute;
  }
}
