// Over 400 lines: the composition root, where every service of the primary is built and wired, read best in one place.
import { MediaClock } from './audio/media-clock.js';
import {
  type AudioSocketContext,
  AudioSocketIntake,
  type CallInfo,
  CallRegistry,
  type CallSession,
  createAgentFactory,
  createAgentInvites,
  createOpenAiSip,
  createSessionFactory,
  drainCalls,
  defaultRouteOf,
  IncomingMediaSockets,
  localDialInClaims,
  RecordedTranscriptSink,
  RouteMatcher,
  RtpTotals,
  type SpeechDetectorFactory,
  StasisController,
  type VoiceAgent,
} from './calls/index.js';
import { createSpeechDetectors } from './calls/vad/index.js';
import { createDialInServices } from './dial-in-services.js';
import { appMetricsWith, clientWebSocketMediaOn, createMediaWorkers, primaryMediaRoutes } from './media-workers.js';
import type { Config } from './config/load-config.js';
import type { Route } from './config/routes.js';
import { CallsRepository } from './db/calls-repository.js';
import { createDb } from './db/create-db.js';
import { TranscriptsRepository } from './db/transcripts-repository.js';
import { migrateUp } from './db/migrator.js';
import { CallRecorder } from './jobs/call-recorder.js';
import { waitUntilCallsRecorded } from './jobs/call-records-wait.js';
import { createJobLayer, type JobLayer } from './jobs/job-layer.js';
import { jobLayerSettingsOf } from './jobs/job-layer-settings.js';
import { RegistryCallController } from './jobs/registry-call-controller.js';
import { timedToolInvoker } from './jobs/timed-tool-invoker.js';
import { ToolResultWaiters } from './jobs/tool-result-waiters.js';
import type { Kysely } from 'kysely';
import type { DB } from './db/schema.js';
import { runCleanups } from './lib/once.js';
import { createLogger, type Logger } from './observability/logger.js';
import type { AppMetrics } from './observability/metrics.js';
import { CallMetricsCollector } from './http/call-metrics.js';
import { createHttpServer, type HttpServer } from './http/http-server.js';
import { AriClient } from './transports/ari/ari-client.js';
import { AriEventStream } from './transports/ari/ari-event-stream.js';
import { AudioSocketServer } from './transports/audiosocket/audiosocket-server.js';
import { ChanWebSocketListener } from './transports/chan-websocket/chan-websocket-listener.js';
import { UuidRegistry } from './transports/audiosocket/uuid-registry.js';
import { RtpPortPool } from './transports/rtp/rtp-port-pool.js';

export type { AudioSocketContext } from './calls/index.js';

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
  /** UDP ports of RTP calls (routes with `media: rtp`). */
  readonly rtpPorts: RtpPortPool;
  /** RTP counters of ended calls. */
  readonly rtpTotals: RtpTotals;
  /** The REST API, health and metrics server, unless HTTP_ENABLED=false; bound after start(). */
  readonly http: HttpServer | undefined;
  /** The media workers (MEDIA_WORKERS > 0), which carry the media of Stasis calls; undefined: all media is here. */
  readonly mediaWorkers: ReturnType<typeof createMediaWorkers>;
  /** True between start() and the beginning of stop(). */
  readonly accepting: boolean;
  start(): Promise<void>;
  /** Stops taking calls, lets live calls finish until the deadline, then hangs up the rest. Idempotent. */
  stop(deadlineMs?: number): Promise<void>;
}

/** How long shutdown waits for the records of calls that ended during it before closing the workers. */
const SHUTDOWN_RECORD_GRACE_MS = 10_000;

/** Builds the whole service from a loaded configuration. Nothing starts until `start()`. */
export function createApp(config: Config, deps: AppDeps = {}): App {
  const logger = deps.logger ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const clock =
    deps.clock ??
    new MediaClock({
      phases: config.mediaClock.phases,
      onListenerError: (err) => logger.error({ err }, 'media clock listener failed'),
    });
  const registry = new CallRegistry();
  const routes = new RouteMatcher(config.routes as Route[]);
  const defaultRoute = defaultRouteOf(config);
  const expectedUuids = new UuidRegistry<CallSession>();
  const rtpPorts = new RtpPortPool({ ...config.rtp, host: config.rtp.bindHost });
  const rtpTotals = new RtpTotals();
  const directUuids = new UuidRegistry<Route>();
  /** Realtime transcript turns: recorded on the call, and stored in `transcripts` once the database is up. */
  const transcripts = new RecordedTranscriptSink(registry, logger);
  const dialIn = createDialInServices(config, () => http?.address); // calls that wait for agents to connect in
  const dialInClaims = localDialInClaims(dialIn.settings);
  const invites = createAgentInvites(config, { routes, defaultRoute, registry, stasis: () => stasis, logger });
  const openaiSip = createOpenAiSip(config, logger);
  // Realtime agents' tool calls through the job layer (this instance's result waiters, created below), and transcripts.
  const realtime = {
    tools: timedToolInvoker(
      () => tools,
      (seconds, outcome) => metrics.toolCallFinished(seconds, outcome),
    ),
    transcripts,
  };
  const agentFactory = createAgentFactory({
    openaiSip: openaiSip.calls,
    logger,
    routeSecrets: config.routeSecrets,
    ...(deps.agents ? { custom: deps.agents } : {}),
    transcripts,
    dialIn: dialInClaims,
    invited: invites,
    webrtc: {
      iceServers: config.webrtc.iceServers,
      hostAddresses: config.webrtc.hostAddresses,
      clock,
      waitingCalls: dialIn.webrtcWaitingCalls,
      record: (callId, type, data) => registry.get(callId)?.record(type, data),
    },
    realtime,
  });
  let accepting = false;
  /** The shared VAD engine's detectors (VAD=silero, no detector injected), started by start(). */
  const vad = deps.speech ? undefined : createSpeechDetectors(config.vad, logger);
  const speech: SpeechDetectorFactory | undefined = deps.speech ?? vad?.factory;
  const newSession = createSessionFactory({ config, agentFactory, clock, speech, logger });
  // Calls on workers wait here for agents that connect in (the HTTP server is this process's).
  const mediaWorkers = createMediaWorkers(config, logger, realtime, {
    dialIn: dialInClaims,
    webrtc: dialIn.webrtcWaitingCalls,
    invited: invites,
  });
  const inPrimary = primaryMediaRoutes(config, Object.keys(deps.agents ?? {}), logger);
  const intake = new AudioSocketIntake({
    allowAnyUuid: config.audiosocket.allowAnyUuid,
    routes,
    defaultRoute,
    expectedUuids,
    directUuids,
    registry,
    makeSession: newSession,
    accepting: () => accepting,
    mediaWorkers,
    carriedByWorkers: inPrimary && ((route) => inPrimary.carries(route)),
  });

  const audioSocket = new AudioSocketServer<AudioSocketContext>({
    host: config.audiosocket.host,
    port: config.audiosocket.port,
    maxFrameBytes: config.audiosocket.maxFrameBytes,
    handshakeTimeoutMs: config.audiosocket.handshakeTimeoutMs,
    // Silence on the wire is the call's business (see CallSession's silence watchdog), not the socket's.
    idleTimeoutMs: 0,
    admission: intake,
    logger: logger.child({ component: 'audiosocket' }),
  });
  audioSocket.on('connection', (conn) => intake.accept(conn));

  const ari = config.ari;
  /** chan_websocket connections Asterisk opens to us (CHAN_WEBSOCKET_CONNECTION=client). */
  const wsClient = config.chanWebSocket.client;
  const clientMediaOnWorkers = clientWebSocketMediaOn(mediaWorkers, wsClient?.id);
  const mediaListener = wsClient
    ? new ChanWebSocketListener({
        host: wsClient.host,
        port: wsClient.port,
        username: wsClient.username,
        password: wsClient.password,
        controlFormat: config.chanWebSocket.controlFormat,
        startTimeoutMs: 5000,
        logger: logger.child({ component: 'chan-websocket' }),
        handOff: clientMediaOnWorkers?.handOff.bind(clientMediaOnWorkers),
      })
    : undefined;
  const incomingMedia = mediaListener ? new IncomingMediaSockets() : undefined;
  if (mediaListener && incomingMedia) mediaListener.on('connection', (conn) => incomingMedia.accept(conn));
  const ariEvents = ari
    ? new AriEventStream({ baseUrl: ari.url, username: ari.username, password: ari.password, app: ari.app, logger })
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
          defaultRoute,
          expectedUuids,
          makeSession: (info, extra) => newSession(info, extra),
          audioSocketHost: () =>
            config.audiosocket.advertiseHost ?? `127.0.0.1:${audioSocket.address?.port ?? config.audiosocket.port}`,
          uuidTtlMs: config.audiosocket.uuidTtlMs,
          // Calls of routes workers cannot carry (injected agents) stay here.
          ...(mediaWorkers && inPrimary?.stasisPlacement(mediaWorkers, clientMediaOnWorkers)),
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
          rtpMedia: {
            ports: rtpPorts,
            advertiseHost: config.rtp.advertiseHost,
            jitterMs: config.rtp.jitterBufferMs,
            slin16Send: config.rtp.slin16Send,
            payloadTypes: config.rtp.payloadTypes,
            clock,
            onLegEnded: (stats) => rtpTotals.add(stats),
          },
          accepting: () => accepting,
          logger,
        })
      : undefined;

  let db: Kysely<DB> | undefined;
  let jobs: JobLayer | undefined;
  let recorder: CallRecorder | undefined;
  const tools = ToolResultWaiters.ofJobLayer(() => jobs?.toolCalls);
  async function startJobs(): Promise<void> {
    const j = config.jobs;
    if (!j) {
      logger.info('MYSQL_URL/REDIS_URL not set: calls are not recorded and call control through the API is off');
      return;
    }
    db = createDb({ connection: { url: j.mysqlUrl }, poolSize: j.mysqlPoolSize });
    transcripts.useStore(new TranscriptsRepository(db));
    if (j.migrateOnStart) {
      const steps = await migrateUp(db);
      if (steps.length > 0) logger.info({ applied: steps.map((s) => s.name) }, 'database migrated');
    }
    const layer = await createJobLayer({
      ...jobLayerSettingsOf(config, j),
      db,
      controller: new RegistryCallController({ registry, routes, defaultRoute, stasis }),
      toolResultSink: tools,
      logger: logger.child({ component: 'jobs' }),
      onWebhookAttemptFailed: (final) => metrics.webhookAttemptFailed(final),
      onToolRun: (phases) => metrics.toolRun(phases),
      onOrphanedCallClosed: () => metrics.orphanedCallClosed(),
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

  const callMetrics: CallMetricsCollector = new CallMetricsCollector(registry, () => metrics);
  const metrics: AppMetrics = appMetricsWith(mediaWorkers, {
    activeCalls: () => registry.size,
    media: () => callMetrics.mediaTotals(),
    clock: () => clock.stats,
    vad: () => vad?.stats(),
    rtp: () => ({ ...rtpTotals.snapshot(), portRefusals: rtpPorts.stats.refusals, portsInUse: rtpPorts.inUse }),
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
        ...dialIn.httpOptions(config.labMode, invites.handler),
        openaiSip: openaiSip.webhook,
        audioSocketRoutes: {
          routeExists: (name) => intake.routeExists(name),
          register: (uuid, name, ttlMs) => intake.register(uuid, name, ttlMs),
          defaultTtlMs: config.audiosocket.uuidTtlMs,
        },
      })
    : undefined;

  /** Waits until the calls that ended during shutdown have their end stored (with the job layer). */
  async function waitForCallRecords(ids: string[]): Promise<void> {
    if (!jobs || !db) return;
    const calls = new CallsRepository(db);
    await waitUntilCallsRecorded({ sink: jobs.eventSink, calls, ids, graceMs: SHUTDOWN_RECORD_GRACE_MS, logger });
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
    rtpPorts,
    rtpTotals,
    http,
    mediaWorkers,
    get accepting() {
      return accepting;
    },
    async start() {
      // Workers first: forked after VAD_WORKER_CPUS=auto pinned this event loop, they would inherit its CPUs.
      await mediaWorkers?.start();
      await vad?.start();
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
        const endedWhileStopping = await drainCalls(registry, deadlineMs, logger);
        await waitForCallRecords([...endedWhileStopping]).catch((err: unknown) =>
          logger.warn({ err }, 'could not confirm the records of ended calls'),
        );
        const errors = await runCleanups([
          () => invites.close(), // before the HTTP server: it waits for the sockets invites hold
          () => http?.close(),
          () => callMetrics.close(),
          () => stasis?.close(),
          () => audioSocket.close(1000),
          () => mediaListener?.close(),
          () => incomingMedia?.close(),
          () => clock.close(),
          () => vad?.close(),
          () => mediaWorkers?.close(),
          () => recorder?.close(),
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
