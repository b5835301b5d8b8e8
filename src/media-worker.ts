/**
 * A media worker process (`ava serve --media-workers N`): the composition root of one worker. The primary forks it,
 * sends `init` with the service's configuration and this worker's slot, and from then on `call.open` for each call
 * placed here. The worker has its own media clock, speech detectors and AudioSocket server, and holds its calls'
 * legs, bridges and agent connections. It ends when the primary disconnects (or dies): its calls' media ends with it.
 */
import type { Socket } from 'node:net';
import { MediaClock } from './audio/media-clock.js';
import { createAgentFactory, defaultRouteOf, RouteMatcher, RtpTotals } from './calls/index.js';
import {
  ChannelAgentServices,
  ChannelAgentWaits,
  type ExpectedCall,
  MediaWorkerHost,
  workerAudioSocketPort,
  workerVadSettings,
} from './calls/media-workers/index.js';
import { invitedNativeAgent } from './calls/agents/invited-agent.js';
import { createSpeechDetectors } from './calls/vad/index.js';
import { acceptedAgentSocket } from './transports/agent-ws/connect-agent-socket.js';
import type { Config } from './config/load-config.js';
import type { Route } from './config/routes.js';
import { workerRtpPortRange } from './config/rtp-port-split.js';
import { runCleanups } from './lib/once.js';
import { createLogger, type Logger } from './observability/logger.js';
import { ProcessMetricsSampler, type WorkerProcessValues } from './observability/worker-process-metrics.js';
import { type FromWorker, type ToWorker, toWorkerSchema } from './protocols/media-worker/messages.js';
import { AudioSocketServer } from './transports/audiosocket/audiosocket-server.js';
import { IpcChannel } from './transports/media-worker/ipc-channel.js';
import { RtpPortPool } from './transports/rtp/rtp-port-pool.js';

type CallMessage = Exclude<ToWorker, { type: 'init' }>;

/** Starts the worker; resolves with where the primary's call messages go from now on. */
async function runWorker(
  slot: number,
  config: Config,
  channel: IpcChannel<FromWorker, ToWorker>,
): Promise<(m: CallMessage, socket: Socket | undefined) => void> {
  const logger: Logger = createLogger({ level: config.log.level, pretty: config.log.pretty }).child({ worker: slot });
  const clock = new MediaClock({
    phases: config.mediaClock.phases,
    onListenerError: (err) => logger.error({ err }, 'media clock listener failed'),
  });
  const routes = new RouteMatcher(config.routes as Route[]);
  const defaultRoute = defaultRouteOf(config);
  const vad = createSpeechDetectors(workerVadSettings(config.vad), logger);
  // Tool calls and transcript turns of the agents here go to the primary (job layer, stored transcripts).
  const services = new ChannelAgentServices((m) => channel.send(m));
  // Agents that connect in (dial-in, WebRTC) arrive at the primary's HTTP server, which hands each to its call here.
  const connectIn = new ChannelAgentWaits((m) => channel.send(m), logger);
  // RTP calls bind on this worker's share of RTP_PORT_MIN..RTP_PORT_MAX (config load made sure each gets a port
  // when a route uses RTP).
  const rtpRange =
    config.rtp.maxPort - config.rtp.minPort + 1 >= config.mediaWorkers
      ? workerRtpPortRange(config.rtp, config.mediaWorkers, slot)
      : undefined;
  const rtpPorts = rtpRange && new RtpPortPool({ ...rtpRange, host: config.rtp.bindHost });
  const rtpTotals = new RtpTotals();
  const host = new MediaWorkerHost({
    routeByName: (name) => routes.byName(name) ?? (defaultRoute?.name === name ? defaultRoute : undefined),
    agentFactory: createAgentFactory({
      logger,
      routeSecrets: config.routeSecrets,
      realtime: { tools: services, transcripts: services },
      transcripts: services,
      dialIn: connectIn,
      // A call an agent placed with `invite` (its socket came to the primary): the agent runs here on that socket.
      invited: {
        agentFor: (call) =>
          call.invited &&
          invitedNativeAgent(
            call,
            call.invited,
            (signal) =>
              connectIn.invitedSocket(call, signal).then((ws) => acceptedAgentSocket(ws, call.callId, logger)),
            logger.child({ callId: call.callId }),
          ),
      },
      webrtc: {
        iceServers: config.webrtc.iceServers,
        hostAddresses: config.webrtc.hostAddresses,
        clock,
        waitingCalls: connectIn,
        record: (callId, event, data) =>
          channel.send({ type: 'call.event', callId, event, at: new Date().toISOString(), data }),
      },
    }),
    clock,
    speech: vad?.factory,
    playoutMaxMs: config.playout.maxMs,
    agentConnectTimeoutMs: config.agent.connectTimeoutMs,
    gapFillAfterMs: config.mediaSilence.gapFillAfterMs,
    websocketMedia: {
      asteriskHttpUrl: config.ari?.url ?? '',
      pacing: config.chanWebSocket.pacing,
      leadMs: config.chanWebSocket.leadMs,
      controlFormat: config.chanWebSocket.controlFormat,
      timeoutMs: config.ari?.requestTimeoutMs ?? 5000,
    },
    rtpMedia: rtpPorts && {
      ports: rtpPorts,
      jitterMs: config.rtp.jitterBufferMs,
      slin16Send: config.rtp.slin16Send,
      payloadTypes: config.rtp.payloadTypes,
      clock,
      onLegEnded: (stats) => rtpTotals.add(stats),
    },
    send: (m) => channel.send(m),
    logger,
  });
  const audioSocket = new AudioSocketServer<ExpectedCall>({
    host: config.audiosocket.host,
    port: workerAudioSocketPort(config, slot),
    maxFrameBytes: config.audiosocket.maxFrameBytes,
    handshakeTimeoutMs: config.audiosocket.handshakeTimeoutMs,
    idleTimeoutMs: 0,
    admission: host,
    logger: logger.child({ component: 'audiosocket' }),
  });
  audioSocket.on('connection', (conn) => host.accept(conn));
  await vad?.start();
  clock.start();
  const addr = await audioSocket.listen();
  // The primary stops a worker by disconnecting (or by dying): its calls' media ends, then the process.
  process.once('disconnect', () => {
    logger.info({ liveCalls: host.liveCalls }, 'media worker stopping: the primary disconnected');
    clearInterval(report);
    void runCleanups([
      () => host.closeAll('shutdown'),
      () => audioSocket.close(1000),
      () => clock.close(),
      () => vad?.close(),
    ]).then((errors) => {
      for (const err of errors) logger.warn({ err }, 'media worker shutdown step failed');
      channel.close();
      process.exit(0);
    });
  });
  // Totals and this process's own metrics for the primary's /metrics, every second.
  const processMetrics = new ProcessMetricsSampler();
  const report = setInterval(() => {
    const v = vad?.stats();
    const send = (own: WorkerProcessValues | undefined) =>
      channel.send({
        type: 'stats',
        stats: {
          calls: host.liveCalls,
          media: host.mediaTotals(),
          clock: { ...clock.stats },
          ...(v ? { vad: { inferenceMs: v.inferenceMs, windowsInferred: v.windowsInferred } } : {}),
          rtp: {
            ...rtpTotals.snapshot(),
            portRefusals: rtpPorts?.stats.refusals ?? 0,
            portsInUse: rtpPorts?.inUse ?? 0,
          },
          ...(own ? { process: own as Record<string, number> } : {}),
        },
      });
    processMetrics.sample().then(send, (err: unknown) => {
      logger.warn({ err }, 'could not read the process metrics');
      send(undefined);
    });
  }, 1000);
  report.unref();
  channel.send({ type: 'ready', audioSocketPort: addr.port });
  logger.info({ port: addr.port, rtpPorts: rtpRange, pid: process.pid }, 'media worker ready');
  return (m, socket) => {
    if (m.type === 'tool.result') return services.receive(m);
    if (m.type === 'agent.socket' || m.type === 'agent.waitFailed') return connectIn.receive(m, socket);
    if (m.type === 'call.webSocketMedia') return host.webSocketMedia(m, socket);
    host.receive(m);
    if (m.type !== 'call.adopt') return;
    if (socket) audioSocket.adopt(socket, Buffer.from(m.raw, 'base64'));
    else logger.error({ callId: m.info.callId }, 'call.adopt came without its socket');
  };
}

function main(): void {
  if (!process.send) {
    console.error('the media worker runs only as a child of `ava serve --media-workers N`');
    process.exit(1);
  }
  const bootLogger = createLogger({ level: 'info', pretty: false }).child({ component: 'media-worker' });
  // The primary drains and stops the workers (by disconnecting); a terminal's Ctrl-C reaches every process of the
  // group, so the signals are left to the primary.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  // Call messages that come before the worker is up wait for it (the primary sends none before `ready`).
  let receive: Promise<(m: CallMessage, socket: Socket | undefined) => void> | undefined;
  const channel: IpcChannel<FromWorker, ToWorker> = new IpcChannel<FromWorker, ToWorker>(
    process,
    toWorkerSchema,
    (m, socket) => {
      if (m.type !== 'init') return void receive?.then((handle) => handle(m, socket));
      receive ??= runWorker(m.worker, m.config as Config, channel);
      receive.catch((err: unknown) => {
        bootLogger.error({ err, worker: m.worker }, 'media worker could not start');
        process.exit(1);
      });
    },
    bootLogger,
  );
}

main();
