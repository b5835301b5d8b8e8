import { randomUUID } from 'node:crypto';
import { MediaClock } from './audio/media-clock.js';
import { createAgentFactory, legFormatOf } from './calls/agents/agent-factory.js';
import type { TranscriptSink } from './calls/agents/realtime-transcripts.js';
import { WaitingCalls } from './calls/agents/webrtc-waiting-calls.js';
import { AudioSocketLeg } from './calls/audiosocket-leg.js';
import { CallRegistry } from './calls/call-registry.js';
import { CallSession } from './calls/call-session.js';
import type { CallTelephony } from './calls/call-control.js';
import type { SpeechDetectorFactory } from './calls/media-leg.js';
import { RouteMatcher } from './calls/route-matcher.js';
import { StasisController } from './calls/stasis-controller.js';
import { IncomingMediaSockets } from './calls/websocket-media-setup.js';
import { VadEngine } from './calls/vad/vad-engine.js';
import type { CallInfo, VoiceAgent } from './calls/voice-agent.js';
import type { Config } from './config/load-config.js';
import type { Route } from './config/routes.js';
import { createDb } from './db/create-db.js';
import { TranscriptsRepository } from './db/transcripts-repository.js';
import { migrateUp } from './db/migrator.js';
import { CallRecorder } from './jobs/call-recorder.js';
import { createJobLayer, type JobLayer } from './jobs/job-layer.js';
import { RegistryCallController } from './jobs/registry-call-controller.js';
import { ToolResultWaiters } from './jobs/tool-result-waiters.js';
import { staticWebhookResolver } from './jobs/webhook-endpoints.js';
import type { Kysely } from 'kysely';
import type { DB } from './db/schema.js';
import { AppError } from './errors/app-error.js';
import { runCleanups } from './lib/once.js';
import { callLogger, createLogger, type Logger } from './observability/logger.js';
import { AppMetrics } from './observability/metrics.js';
import { CallMetricsCollector } from './http/call-metrics.js';
import { createHttpServer, type HttpServer } from './http/http-server.js';
import type { AdmissionDecision } from './transports/audiosocket/admission.js';
import type { AudioSocketConnection } from './transports/audiosocket/audiosocket-connection.js';
import { AriClient } from './transports/ari/ari-client.js';
import { AriEventStream } from './transports/ari/ari-event-stream.js';
import { AudioSocketServer } from './transports/audiosocket/audiosocket-server.js';
import { ChanWebSocketListener } from './transports/chan-websocket/chan-websocket-listener.js';
import { UuidRegistry } from './transports/audiosocket/uuid-registry.js';

/** What an admitted AudioSocket connection belongs to. */
export type AudioSocketContext =
  /** A call the Stasis controller (or the API) is waiting for. */
  | { kind: 'expected'; session: CallSession }
  /** A dialplan-direct call: the route is known, the session is made on connect. */
  | { kind: 'direct'; route: Route };

export interface AppDeps {
  logger?: Logger;
  clock?: MediaClock;
  speech?: SpeechDetectorFactory;
  /** Extra agent kinds by name (tests and embedders). */
  agents?: Partial<Record<string, (call: CallInfo) => VoiceAgent>>;
  /** fetch for ARI (tests may route it). */
  fetch?: typeof globalThis.fetch;
}

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly registry: CallRegistry;
  readonly clock: MediaClock;
  readonly routes: RouteMatcher;
  /** Pre-registered AudioSocket UUIDs (Stasis externalMedia legs and API registrations), with expiry. */
  readonly expectedUuids: UuidRegistry<CallSession>;
  readonly audioSocket: AudioSocketServer<AudioSocketContext>;
  /** The Stasis controller when ARI is configured. */
  readonly stasis: StasisController | undefined;
  /** The job layer (control, events, tool calls) when MYSQL_URL and REDIS_URL are set; after start(). */
  readonly jobs: JobLayer | undefined;
  readonly db: Kysely<DB> | undefined;
  /** Where agents' function calls go (through the job layer when it runs). */
  readonly tools: ToolResultWaiters;
  /** Dialplan-direct UUIDs pre-registered to a route (REST `PUT /v1/audiosocket-routes/:uuid`), with expiry. */
  readonly directUuids: UuidRegistry<Route>;
  /** Prometheus metrics of this app (its own registry). */
  readonly metrics: AppMetrics;
  /** The REST API, health and metrics server, unless HTTP_ENABLED=false; bound after start(). */
  readonly http: HttpServer | undefined;
  /** True between start() and the beginning of stop(). */
  readonly accepting: boolean;
  start(): Promise<void>;
  /** Stops taking calls, lets live calls finish until the deadline, then hangs up the rest. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
}

/** How long shutdown waits for the records of calls that ended during it before closing the workers. */
const SHUTDOWN_RECORD_GRACE_MS = 10_000;

/** The built-in route for dialplan-direct calls when no routes file is given. */
const DEFAULT_ECHO_ROUTE: Route = {
  name: 'default',
  match: {},
  agent: { kind: 'echo' },
  audioFormat: 'slin',
  bargeIn: { enabled: true, protectGreeting: false },
  fallback: { action: 'hangup' },
  customParameters: {},
  webhooks: [],
  tools: [],
};

/** Builds the whole service from a loaded configuration. Nothing starts until `start()`. */
export function createApp(config: Config, deps: AppDeps = {}): App {
  const logger = deps.logger ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const clock =
    deps.clock ?? new MediaClock({ onListenerError: (err) => logger.error({ err }, 'media clock listener failed') });
  const registry = new CallRegistry();
  const routes = new RouteMatcher(config.routes as Route[]);
  const expectedUuids = new UuidRegistry<CallSession>();
  const directUuids = new UuidRegistry<Route>();
  /** Realtime transcript turns: stored in `transcripts` and recorded on the call (webhooks, console). */
  const transcripts: TranscriptSink = {
    add(callId, turn) {
      registry
        .get(callId)
        ?.record('transcript', { role: turn.role, text: turn.text, itemId: turn.itemId, truncated: turn.truncated });
      if (!db) return;
      new TranscriptsRepository(db)
        .append({
          callId,
          role: turn.role,
          text: turn.text,
          startedAtMs: turn.startedAtMs,
          endedAtMs: turn.endedAtMs,
          truncated: turn.truncated,
          itemId: turn.itemId,
        })
        .catch((err: unknown) => logger.warn({ err, callId }, 'transcript turn not stored'));
    },
  };
  /** Calls of WebRTC routes without `url`, waiting for an agent to connect to /v1/agent/webrtc. */
  const waitingCalls = new WaitingCalls();
  const agentFactory = createAgentFactory({
    logger,
    routeSecrets: config.routeSecrets,
    ...(deps.agents ? { custom: deps.agents } : {}),
    webrtc: {
      iceServers: config.webrtc.iceServers,
      hostAddresses: config.webrtc.hostAddresses,
      clock,
      waitingCalls,
      record: (callId, type, data) => registry.get(callId)?.record(type, data),
    },
    realtime: {
      // The job layer's tool calls, through this instance's result waiters (created below).
      tools: {
        invoke: async (...args: Parameters<ToolResultWaiters['invoke']>) => {
          const started = performance.now();
          try {
            const result = await tools.invoke(...args);
            metrics.toolCallFinished((performance.now() - started) / 1000, result.status);
            return result;
          } catch (err) {
            metrics.toolCallFinished((performance.now() - started) / 1000, 'error');
            throw err;
          }
        },
      },
      transcripts,
    },
  });
  let accepting = false;
  /** The shared VAD engine, started by start() when VAD=silero and no detector was injected. */
  let vad: VadEngine | undefined;
  const speech: SpeechDetectorFactory | undefined =
    deps.speech ??
    (config.vad.engine === 'silero'
      ? (sampleRate, callId) => {
          if (!vad) throw new Error('VAD engine not started');
          const stream = vad.createStream({
            sampleRate,
            threshold: config.vad.threshold,
            minSpeechMs: config.vad.minSpeechMs,
            minSilenceMs: config.vad.minSilenceMs,
          });
          stream.on('failed', (err) => logger.warn({ err, callId }, 'speech detection stopped for this call'));
          return {
            push: (samples) => stream.push(samples),
            on: (event, listener) => stream.on(event as 'speechStart' | 'speechEnd', listener as never),
            close: () => stream.close(),
          };
        }
      : undefined);

  /**
   * Route for a dialplan-direct UUID: a route naming it; with AUDIOSOCKET_ALLOW_ANY_UUID, else the first catch-all
   * route, else the default agent.
   */
  function directRoute(uuid: string): Route | undefined {
    const named = routes.allowsUuid(uuid);
    if (named) return named;
    // Anyone who can reach the port could otherwise start agent calls: unknown UUIDs only when allowed.
    if (!config.audiosocket.allowAnyUuid) return undefined;
    if (config.routes.length > 0) return routes.match({ audiosocketUuid: uuid });
    return config.defaultAgent === 'echo' ? DEFAULT_ECHO_ROUTE : undefined;
  }

  const admission = {
    admit(uuid: string): AdmissionDecision<AudioSocketContext> {
      if (!accepting) return { accept: false, reason: 'shutting_down' };
      const expected = expectedUuids.admit(uuid);
      if (expected.accept) return { accept: true, context: { kind: 'expected', session: expected.context } };
      const registered = directUuids.admit(uuid);
      if (registered.accept) return { accept: true, context: { kind: 'direct', route: registered.context } };
      const route = directRoute(uuid);
      if (route) return { accept: true, context: { kind: 'direct', route } };
      return { accept: false, reason: expected.reason, ...(expected.detail ? { detail: expected.detail } : {}) };
    },
  };

  const audioSocket = new AudioSocketServer<AudioSocketContext>({
    host: config.audiosocket.host,
    port: config.audiosocket.port,
    maxFrameBytes: config.audiosocket.maxFrameBytes,
    handshakeTimeoutMs: config.audiosocket.handshakeTimeoutMs,
    // Silence on the wire is the call's business (see CallSession's silence watchdog), not the socket's.
    idleTimeoutMs: 0,
    admission,
    logger: logger.child({ component: 'audiosocket' }),
  });

  function newSession(
    info: Omit<CallInfo, 'legFormat'> & { legFormat?: CallInfo['legFormat'] },
    extra: { telephony?: CallTelephony } = {},
  ): CallSession {
    const route = info.route;
    const session = new CallSession({
      ...(extra.telephony ? { telephony: extra.telephony, legDtmf: false } : {}),
      info: { ...info, legFormat: info.legFormat ?? legFormatOf(route) },
      agentFactory,
      clock,
      playoutMaxMs: config.playout.maxMs,
      bargeIn: route.bargeIn.enabled,
      speech,
      // A WebRTC route without a URL waits for a person (or program) to take the call at /v1/agent/webrtc.
      agentConnectTimeoutMs:
        route.agent.kind === 'webrtc' && !route.agent.url ? config.agent.waitTimeoutMs : config.agent.connectTimeoutMs,
      logger: callLogger(logger, info.callId, { route: route.name }),
      gapFillAfterMs: config.mediaSilence.gapFillAfterMs,
      silence: {
        ariCheckAfterMs: config.mediaSilence.ariCheckAfterMs,
        directLimitMs: config.audiosocket.idleTimeoutMs,
      },
    });
    return session;
  }

  audioSocket.on('connection', (conn: AudioSocketConnection<AudioSocketContext>) => {
    const ctx = conn.context;
    let session: CallSession;
    if (ctx.kind === 'expected') {
      session = ctx.session;
      if (session.closing) {
        session.log.info({ uuid: conn.uuid }, 'AudioSocket connected for a call that already ended; closing it');
        void conn.close();
        return;
      }
    } else {
      session = newSession({
        callId: randomUUID(),
        direction: 'inbound',
        caller: undefined,
        callee: undefined,
        route: ctx.route,
        channelId: undefined,
        startedAt: new Date(),
        customParameters: { ...ctx.route.customParameters, audiosocketUuid: conn.uuid },
      });
      registry.add(session, [conn.uuid]);
      session.log.info({ uuid: conn.uuid, agent: ctx.route.agent.kind }, 'dialplan-direct call connected');
    }
    // Until Asterisk's first audio frame names the format, the leg assumes the one the route asked for.
    const leg = new AudioSocketLeg(conn, session.info.legFormat);
    session.attachLeg(leg).catch((err: unknown) => session.log.error({ err }, 'attaching media failed'));
  });

  const ari = config.ari;
  /** chan_websocket connections Asterisk opens to us (CHAN_WEBSOCKET_CONNECTION=client). */
  const wsClient = config.chanWebSocket.client;
  const mediaListener = wsClient
    ? new ChanWebSocketListener({
        host: wsClient.host,
        port: wsClient.port,
        username: wsClient.username,
        password: wsClient.password,
        controlFormat: config.chanWebSocket.controlFormat,
        startTimeoutMs: 5000,
        logger: logger.child({ component: 'chan-websocket' }),
      })
    : undefined;
  const incomingMedia = mediaListener ? new IncomingMediaSockets() : undefined;
  if (mediaListener && incomingMedia) mediaListener.on('connection', (conn) => incomingMedia.accept(conn));
  const ariEvents = ari
    ? new AriEventStream({
        baseUrl: ari.url,
        username: ari.username,
        password: ari.password,
        app: ari.app,
        logger,
      })
    : undefined;
  const stasis =
    ari && ariEvents
      ? new StasisController({
          ari: new AriClient({
            baseUrl: ari.url,
            username: ari.username,
            password: ari.password,
            requestTimeoutMs: ari.requestTimeoutMs,
            logger,
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
          }),
          events: ariEvents,
          app: ari.app,
          registry,
          routes,
          defaultRoute:
            config.routes.length > 0 ? undefined : config.defaultAgent === 'echo' ? DEFAULT_ECHO_ROUTE : undefined,
          expectedUuids,
          makeSession: (info, extra) => newSession(info, extra),
          audioSocketHost: () =>
            config.audiosocket.advertiseHost ?? `127.0.0.1:${audioSocket.address?.port ?? config.audiosocket.port}`,
          uuidTtlMs: config.audiosocket.uuidTtlMs,
          websocketMedia: {
            asteriskHttpUrl: ari.url,
            pacing: config.chanWebSocket.pacing,
            leadMs: config.chanWebSocket.leadMs,
            controlFormat: config.chanWebSocket.controlFormat,
            timeoutMs: ari.requestTimeoutMs,
            ...(incomingMedia && config.chanWebSocket.client
              ? { client: { id: config.chanWebSocket.client.id, incoming: incomingMedia } }
              : {}),
          },
          accepting: () => accepting,
          logger,
        })
      : undefined;

  const defaultRoute =
    config.routes.length > 0 ? undefined : config.defaultAgent === 'echo' ? DEFAULT_ECHO_ROUTE : undefined;
  let db: Kysely<DB> | undefined;
  let jobs: JobLayer | undefined;
  let recorder: CallRecorder | undefined;
  const tools = new ToolResultWaiters(() => {
    if (!jobs)
      throw new AppError('tool calls need the job layer (MYSQL_URL and REDIS_URL)', {
        code: 'TOOL_UNAVAILABLE',
        category: 'configuration',
      });
    return jobs.toolCalls;
  });

  async function startJobs(): Promise<void> {
    const j = config.jobs;
    if (!j) {
      logger.info('MYSQL_URL/REDIS_URL not set: calls are not recorded and call control through the API is off');
      return;
    }
    db = createDb({ connection: { url: j.mysqlUrl }, poolSize: j.mysqlPoolSize });
    if (j.migrateOnStart) {
      const steps = await migrateUp(db);
      if (steps.length > 0) logger.info({ applied: steps.map((s) => s.name) }, 'database migrated');
    }
    const layer = await createJobLayer({
      redis: j.redisUrl,
      prefix: j.prefix,
      instanceId: config.instanceId,
      db,
      controller: new RegistryCallController({ registry, routes, defaultRoute, stasis }),
      toolResultSink: tools,
      tools: config.httpTools.map((t) => ({
        name: t.name,
        url: t.url,
        secret: t.secret,
        ...(t.timeoutMs ? { timeoutMs: t.timeoutMs } : {}),
        ...(t.idempotent !== undefined ? { idempotent: t.idempotent } : {}),
      })),
      webhooks: staticWebhookResolver({
        all: config.webhooks.all.map((w) => ({ ...w, events: w.events ? [...w.events] : undefined })),
        byRoute: Object.fromEntries(
          Object.entries(config.webhooks.byRoute).map(([k, list]) => [
            k,
            list.map((w) => ({ ...w, events: w.events ? [...w.events] : undefined })),
          ]),
        ),
      }),
      logger: logger.child({ component: 'jobs' }),
      onWebhookAttemptFailed: (final) => metrics.webhookAttemptFailed(final),
      onToolRun: (phases) => metrics.toolRun(phases),
      onOrphanedCallClosed: () => metrics.orphanedCallClosed(),
      tuning: {
        controlTimeoutMs: j.controlTimeoutMs,
        ownershipTtlMs: j.ownershipTtlMs,
        orphanSweepIntervalMs: j.orphanSweepIntervalMs,
        controlWorker: { stalledIntervalMs: j.stalledIntervalMs },
        eventWorker: { stalledIntervalMs: j.stalledIntervalMs },
        webhookWorker: { stalledIntervalMs: j.stalledIntervalMs },
        toolWorker: { stalledIntervalMs: j.stalledIntervalMs },
        toolResultWorker: { stalledIntervalMs: j.stalledIntervalMs },
      },
    });
    jobs = layer;
    await layer.ready();
    recorder = new CallRecorder({
      registry,
      sink: layer.eventSink,
      ownership: layer.ownership,
      instanceId: config.instanceId,
      stasis,
      logger,
    });
    recorder.start();
    logger.info({ prefix: j.prefix, instance: config.instanceId }, 'job layer ready');
  }

  const routeByName = (name: string): Route | undefined =>
    routes.byName(name) ?? (defaultRoute && defaultRoute.name === name ? defaultRoute : undefined);
  const callMetrics: CallMetricsCollector = new CallMetricsCollector(registry, () => metrics);
  const metrics: AppMetrics = new AppMetrics({
    activeCalls: () => registry.size,
    media: () => callMetrics.mediaTotals(),
    clock: () => clock.stats,
    vad: () => vad?.stats(),
  });
  ariEvents?.on('reconnected', () => metrics.ariReconnected());
  const http = config.http
    ? createHttpServer({
        config: config.http,
        logger,
        version: '0.1.0',
        control: () => jobs?.controlClient,
        db: () => db,
        redis: config.jobs ? { connection: config.jobs.redisUrl, prefix: config.jobs.prefix } : undefined,
        ...(config.jobs ? { controlTimeoutMs: config.jobs.controlTimeoutMs } : {}),
        accepting: () => accepting,
        ariConnected: ariEvents ? () => ariEvents.state === 'open' : undefined,
        refusedRoutes: stasis ? () => stasis.refusedRoutes : undefined,
        metrics,
        registry,
        agentWebRtc: { waitingCalls, labPage: config.labMode },
        audioSocketRoutes: {
          routeExists: (name) => routeByName(name) !== undefined,
          register: (uuid, name, ttlMs) => {
            const route = routeByName(name);
            if (!route)
              throw new AppError(`no route named "${name}"`, { code: 'ROUTE_NOT_FOUND', category: 'not_found' });
            directUuids.register(uuid, route, ttlMs);
          },
          defaultTtlMs: config.audiosocket.uuidTtlMs,
        },
      })
    : undefined;

  /**
   * Waits (up to SHUTDOWN_RECORD_GRACE_MS) until the calls that ended during shutdown have their end stored, so the
   * workers are not closed under their last events.
   */
  async function waitForCallRecords(ids: string[]): Promise<void> {
    const database = db;
    if (!jobs || !database || ids.length === 0) return;
    await jobs.eventSink.flush(SHUTDOWN_RECORD_GRACE_MS);
    const until = Date.now() + SHUTDOWN_RECORD_GRACE_MS;
    for (;;) {
      const row = await database
        .selectFrom('calls')
        .select((eb) => eb.fn.countAll<number>().as('open'))
        .where('id', 'in', ids)
        .where('ended_at', 'is', null)
        .executeTakeFirst();
      const open = Number(row?.open ?? 0);
      if (open === 0) return;
      if (Date.now() >= until) {
        logger.warn({ calls: open }, 'ended calls not yet recorded at shutdown; their events stay queued');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  let stopping: Promise<void> | undefined;

  const app: App = {
    config,
    logger,
    registry,
    clock,
    routes,
    expectedUuids,
    audioSocket,
    stasis,
    get jobs() {
      return jobs;
    },
    get db() {
      return db;
    },
    tools,
    directUuids,
    metrics,
    http,
    get accepting() {
      return accepting;
    },
    async start() {
      if (speech && !deps.speech && !vad) {
        vad = await VadEngine.start({
          logger: logger.child({ component: 'vad' }),
          minJobIntervalMs: config.vad.batchIntervalMs,
        });
        vad.on('failed', (err) => logger.error({ err }, 'VAD engine failed: calls continue without speech detection'));
        logger.info({ model: vad.modelPath }, 'VAD engine ready');
      }
      await startJobs();
      callMetrics.start();
      if (http) await http.listen();
      clock.start();
      const addr = await audioSocket.listen();
      if (mediaListener) {
        const media = await mediaListener.listen();
        logger.info(
          { host: media.address, port: media.port },
          'chan_websocket listener ready (Asterisk connects here)',
        );
      }
      accepting = true;
      if (stasis) await stasis.start();
      logger.info({ host: addr.host, port: addr.port, routes: config.routes.length }, 'adapter started');
    },
    stop(deadlineMs = 10_000) {
      stopping ??= (async () => {
        accepting = false;
        logger.info({ liveCalls: registry.size, deadlineMs }, 'adapter stopping');
        const endedWhileStopping = new Set(registry.list().map((s) => s.id));
        const onRemoved = (s: CallSession) => endedWhileStopping.add(s.id);
        registry.on('removed', onRemoved);
        await registry.whenIdle(AbortSignal.timeout(deadlineMs));
        if (registry.size > 0) {
          logger.info({ liveCalls: registry.size }, 'deadline reached: hanging up remaining calls');
          await registry.closeAll('shutdown');
        }
        registry.off('removed', onRemoved);
        await waitForCallRecords([...endedWhileStopping]).catch((err: unknown) =>
          logger.warn({ err }, 'could not confirm the records of ended calls'),
        );
        const errors = await runCleanups([
          () => http?.close(),
          () => callMetrics.stop(),
          () => stasis?.close(),
          () => audioSocket.close(1000),
          () => mediaListener?.close(),
          () => incomingMedia?.close(),
          () => clock.stop(),
          () => vad?.close(),
          () => recorder?.stop(),
          () => jobs?.close(),
          () => db?.destroy(),
        ]);
        for (const err of errors) logger.warn({ err }, 'shutdown step failed');
        logger.info('adapter stopped');
      })();
      return stopping;
    },
  };
  return app;
}
