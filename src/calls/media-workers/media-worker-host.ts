import type { Socket } from 'node:net';
import type { MediaClock } from '../../audio/media-clock.js';
import type { Route } from '../../config/routes.js';
import { AppError } from '../../errors/app-error.js';
import { callLogger, type Logger } from '../../observability/logger.js';
import { addMediaTotals, type MediaTotals } from '../../observability/metrics.js';
import type { FromWorker, ToWorker, WorkerCallInfo } from '../../protocols/media-worker/messages.js';
import type { AdmissionDecision, AudioSocketAdmission } from '../../transports/audiosocket/admission.js';
import type { AudioSocketConnection } from '../../transports/audiosocket/audiosocket-connection.js';
import { legFormatOf } from '../agents/agent-factory.js';
import { AudioSocketLeg } from '../audiosocket-leg.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { MediaLeg, SpeechDetectorFactory } from '../media-leg.js';
import { ChanWebSocketLeg, chanWebSocketAudioFormat } from '../chan-websocket-leg.js';
import { waitForStart } from '../media-paths/websocket-media-path.js';
import type { WebSocketMediaOptions } from '../websocket-media-setup.js';
import { connectChanWebSocket } from '../../transports/chan-websocket/connect-chan-websocket.js';
import type { ChanWebSocketConnection } from '../../transports/chan-websocket/chan-websocket-connection.js';
import { HandedChanWebSockets } from '../../transports/media-worker/handed-chan-websockets.js';
import type { AgentFactory, CallInfo, CallNotice } from '../voice-agent.js';
import { WorkerCallMedia } from './worker-call-media.js';
import { type WorkerRtpMedia, WorkerRtpSockets } from './worker-rtp-sockets.js';

export interface MediaWorkerHostOptions {
  /** Routes by name (this worker's copy of the service's routes, the default route included). */
  routeByName(name: string): Route | undefined;
  agentFactory: AgentFactory;
  clock: MediaClock;
  speech: SpeechDetectorFactory | undefined;
  playoutMaxMs: number;
  agentConnectTimeoutMs: number;
  gapFillAfterMs: number | undefined;
  send(message: FromWorker): void;
  logger: Logger;
  /** chan_websocket settings for `call.connectWebSocket` (server connections to Asterisk's HTTP server). */
  websocketMedia: WorkerWebSocketMedia;
  /** RTP settings for `call.openRtp` (this worker's share of the RTP port range); RTP calls fail without them. */
  rtpMedia?: WorkerRtpMedia | undefined;
  /** How long an AudioSocket with a UUID not announced yet waits for its `call.open`. Default 2000 ms. */
  announceWaitMs?: number;
}

/** What a worker needs to connect a call's chan_websocket media to Asterisk (from the service's configuration). */
export type WorkerWebSocketMedia = Pick<
  WebSocketMediaOptions,
  'asteriskHttpUrl' | 'pacing' | 'leadMs' | 'controlFormat' | 'timeoutMs'
>;

/** An AudioSocket this worker was told to expect: the call it carries. */
export interface ExpectedCall {
  readonly info: CallInfo;
}

/**
 * The call side of a media worker: takes the primary's `call.open` (expect this AudioSocket UUID), turns the
 * connection into the call's `WorkerCallMedia`, forwards the primary's commands to it and its reports back.
 */
export class MediaWorkerHost implements AudioSocketAdmission<ExpectedCall> {
  readonly #o: MediaWorkerHostOptions;
  readonly #expected = new Map<string, ExpectedCall>();
  readonly #announced = new Map<string, () => void>();
  readonly #calls = new Map<string, WorkerCallMedia>();
  /** chan_websocket media still connecting, by call: aborted when the call ends first. */
  readonly #connecting = new Map<string, AbortController>();
  readonly #rtp: WorkerRtpSockets;
  /** RTP calls placed here and not started yet (their socket is in `#rtp`). */
  readonly #rtpCalls = new Map<string, CallInfo>();
  readonly #actions = new Map<number, { resolve: () => void; reject: (err: AppError) => void }>();
  /** Summaries being spoken to a warm transfer's person, by the primary's request id. */
  readonly #speaking = new Map<number, AbortController>();
  #nextAction = 1;
  /** Completes the handshakes of chan_websocket connections the primary hands over (client mode). */
  #handed: HandedChanWebSockets | undefined;
  /** Media counters of the calls that ended here. */
  readonly #ended: MediaTotals = {
    framesIn: 0,
    framesOut: 0,
    bargeIns: 0,
    playoutUnderruns: 0,
    playoutOverflowBytes: 0,
  };

  constructor(options: MediaWorkerHostOptions) {
    this.#o = options;
    this.#rtp = new WorkerRtpSockets(options.rtpMedia, options.send);
  }

  get liveCalls(): number {
    return this.#calls.size;
  }

  /** Media counters of every call this worker carried (ended and live). */
  mediaTotals(): MediaTotals {
    const out = { ...this.#ended };
    for (const media of this.#calls.values()) addMediaTotals(out, media.totals());
    return out;
  }

  /** Admits a UUID the primary announced (waiting briefly for an announcement still on its way). */
  async admit(uuid: string): Promise<AdmissionDecision<ExpectedCall>> {
    if (!this.#expected.has(uuid)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.announceWaitMs ?? 2000);
        this.#announced.set(uuid, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.#announced.delete(uuid);
    }
    const expected = this.#expected.get(uuid);
    if (!expected) return { accept: false, reason: 'unknown_uuid', detail: 'not announced to this media worker' };
    this.#expected.delete(uuid);
    return { accept: true, context: expected };
  }

  /** Takes an admitted connection: the call's media plane starts. */
  accept(conn: AudioSocketConnection<ExpectedCall>): void {
    const info = conn.context.info;
    const log = callLogger(this.#o.logger, info.callId, { route: info.route.name });
    this.#start(info, new AudioSocketLeg(conn, info.legFormat), log);
    log.info({ uuid: conn.uuid }, 'call media connected on this media worker');
  }

  /**
   * A `media: websocket` call: connects to Asterisk's media socket, waits for MEDIA_START, then runs the call's
   * media on it. A failure is reported (`call.mediaFailed`); the primary decides.
   */
  async #connectWebSocket(
    info: CallInfo,
    connectionId: string,
    format: 'slin' | 'slin16',
    accept?: (signal: AbortSignal, logger: Logger) => Promise<ChanWebSocketConnection>,
  ): Promise<void> {
    const o = this.#o.websocketMedia;
    const callId = info.callId;
    const log = callLogger(this.#o.logger, callId, { route: info.route.name });
    const abort = new AbortController();
    this.#connecting.set(callId, abort);
    const wsLog = log.child({ component: 'chan-websocket' });
    let leg: ChanWebSocketLeg | undefined;
    try {
      const conn = accept
        ? await accept(AbortSignal.any([abort.signal, AbortSignal.timeout(o.timeoutMs)]), wsLog)
        : await connectChanWebSocket({
            asteriskHttpUrl: o.asteriskHttpUrl,
            connectionId,
            controlFormat: o.controlFormat,
            connectTimeoutMs: o.timeoutMs,
            signal: abort.signal,
            logger: wsLog,
          });
      leg = new ChanWebSocketLeg({
        id: connectionId,
        connection: conn,
        expectedFormat: chanWebSocketAudioFormat(format) ?? { encoding: 'pcm16', sampleRate: 8000 },
        pacing: o.pacing,
        leadMs: o.leadMs,
        logger: wsLog,
      });
      await waitForStart(conn, AbortSignal.any([abort.signal, AbortSignal.timeout(o.timeoutMs)]));
    } catch (err) {
      this.#connecting.delete(callId);
      await leg?.close().catch(() => undefined);
      if (abort.signal.aborted) return;
      const code = err instanceof AppError ? err.code : 'CHAN_WEBSOCKET_FAILED';
      const message = err instanceof Error ? err.message : String(err);
      log.warn({ err, code }, 'chan_websocket media could not be set up');
      this.#o.send({ type: 'call.mediaFailed', callId, code, message });
      return;
    }
    this.#connecting.delete(callId);
    if (abort.signal.aborted) return void leg.close().catch(() => undefined);
    this.#start(info, leg, log);
    log.info({ connectionId }, 'chan_websocket media connected on this media worker');
  }

  /**
   * A `media: websocket` call in client mode: Asterisk's connection came in through the primary's media listener,
   * which handed the socket here before the handshake. The handshake is completed here, then as `#connectWebSocket`.
   */
  webSocketMedia(m: Extract<ToWorker, { type: 'call.webSocketMedia' }>, socket: Socket | undefined): void {
    const info = this.#callInfo(m.info);
    const callId = m.info.callId;
    if (!info || !socket) {
      socket?.destroy();
      const why = info ? 'the media connection came without its socket' : `unknown route "${m.info.routeName}"`;
      this.#o.logger.error({ callId }, `chan_websocket media not taken: ${why}`);
      this.#o.send({ type: 'call.mediaFailed', callId, code: 'MEDIA_WORKER_HANDOFF_FAILED', message: why });
      return;
    }
    this.#handed ??= new HandedChanWebSockets(this.#o.websocketMedia.controlFormat);
    const handed = this.#handed;
    void this.#connectWebSocket(info, m.connectionId, m.format, (signal, logger) =>
      handed.accept(m.upgrade, socket, logger, signal),
    );
  }

  #start(info: CallInfo, leg: MediaLeg, log: Logger): void {
    const callId = info.callId;
    const send = this.#o.send;
    const media = new WorkerCallMedia({
      info,
      leg,
      agentFactory: this.#o.agentFactory,
      clock: this.#o.clock,
      playoutMaxMs: this.#o.playoutMaxMs,
      speech: this.#o.speech,
      agentConnectTimeoutMs: this.#o.agentConnectTimeoutMs,
      gapFillAfterMs: this.#o.gapFillAfterMs,
      logger: log,
      reports: {
        connected: (format, agentKind, agentCan) =>
          send({ type: 'call.connected', callId, format: { ...format, encoding: 'pcm16' }, agentKind, agentCan }),
        active: (agentKind) => send({ type: 'call.active', callId, agentKind }),
        failed: (reason, code, message) => send({ type: 'call.failed', callId, reason, code, message }),
        legClosed: (reason) => send({ type: 'call.legClosed', callId, reason }),
        uplinkSilence: (silentMs) => send({ type: 'call.uplinkSilence', callId, silentMs }),
        event: (event, data) => send({ type: 'call.event', callId, event, at: new Date().toISOString(), data }),
        amd: {
          result: (data) =>
            send({ type: 'call.event', callId, event: 'amd.result', at: new Date().toISOString(), data }),
          end: (reason) => send({ type: 'call.end', callId, reason }),
        },
        act: (action) => {
          const actionId = this.#nextAction++;
          return new Promise<void>((resolve, reject) => {
            this.#actions.set(actionId, { resolve, reject });
            send({ type: 'call.action', callId, actionId, action });
          });
        },
      },
    });
    this.#calls.set(callId, media);
    media.start().catch((err: unknown) => log.error({ err }, 'starting the call media failed'));
  }

  /** Handles one message of the primary (other than `init`). */
  receive(m: Exclude<ToWorker, { type: 'init' | 'tool.result' }>): void {
    switch (m.type) {
      case 'call.open':
      case 'call.adopt': {
        const info = this.#callInfo(m.info);
        if (!info) {
          this.#o.logger.error({ callId: m.info.callId, route: m.info.routeName }, 'call.open names an unknown route');
          this.#o.send({ type: 'call.failed', callId: m.info.callId, reason: 'agent_failed', code: 'NO_ROUTE' });
          return;
        }
        this.#expected.set(m.uuid, { info });
        this.#announced.get(m.uuid)?.();
        return;
      }
      case 'call.connectWebSocket': {
        const info = this.#callInfo(m.info);
        if (!info) {
          this.#o.logger.error({ callId: m.info.callId, route: m.info.routeName }, 'call names an unknown route');
          this.#o.send({ type: 'call.failed', callId: m.info.callId, reason: 'agent_failed', code: 'NO_ROUTE' });
          return;
        }
        void this.#connectWebSocket(info, m.connectionId, m.format);
        return;
      }
      case 'call.openRtp': {
        const info = this.#callInfo(m.info);
        const callId = m.info.callId;
        const log = callLogger(this.#o.logger, callId, { route: m.info.routeName });
        if (!info) {
          this.#o.send({ type: 'rtp.bindFailed', callId, code: 'NO_ROUTE', message: 'unknown route' });
          return;
        }
        this.#rtpCalls.set(callId, info);
        void this.#rtp.open(callId, log);
        return;
      }
      case 'call.startRtp': {
        const info = this.#rtpCalls.get(m.callId);
        this.#rtpCalls.delete(m.callId);
        const log = callLogger(this.#o.logger, m.callId, { route: info?.route.name });
        const leg = this.#rtp.start(m, log.child({ component: 'rtp' }));
        if (leg && info) this.#start(info, leg, log);
        return;
      }
      case 'call.mute':
        this.#calls.get(m.callId)?.setMuted(m.muted);
        return;
      case 'call.dtmf':
        this.#calls.get(m.callId)?.dtmf(m.digit, m.durationMs);
        return;
      case 'call.close':
        this.#close(m.callId, m.reason as CloseReason, m.initiator, m.hangupLeg, m.cause);
        return;
      case 'call.actionDone': {
        const pending = this.#actions.get(m.actionId);
        this.#actions.delete(m.actionId);
        if (!pending) return;
        if (!m.error) {
          pending.resolve();
          return;
        }
        const { code, message, details } = m.error;
        pending.reject(new AppError(message, { code, category: 'invalid_request', ...(details ? { details } : {}) }));
        return;
      }
      case 'agent.notify':
        this.#calls.get(m.callId)?.notify(m.notice as CallNotice);
        return;
      case 'agent.message':
        if (!this.#calls.get(m.callId)?.sendMessage(m.text, m.interrupt))
          this.#o.logger.warn({ callId: m.callId }, 'text message for a call whose agent takes none here: dropped');
        return;
      case 'agent.speak':
        this.#speak(m.callId, m.requestId, m.text);
        return;
      case 'agent.speakAbort':
        this.#speaking.get(m.requestId)?.abort();
        return;
    }
  }

  #speak(callId: string, requestId: number, text: string): void {
    const abort = new AbortController();
    this.#speaking.set(requestId, abort);
    const media = this.#calls.get(callId);
    const spoken = media
      ? media.speakToTransferTarget(text, abort.signal)
      : Promise.reject(new AppError('the call has no media here', { code: 'CALL_NOT_FOUND', category: 'not_found' }));
    spoken
      .then(
        () => this.#o.send({ type: 'agent.spoken', callId, requestId }),
        (err: unknown) => {
          const code = err instanceof AppError ? err.code : 'ACTION_FAILED';
          const message = err instanceof Error ? err.message : String(err);
          this.#o.send({ type: 'agent.spoken', callId, requestId, error: { code, message } });
        },
      )
      .finally(() => this.#speaking.delete(requestId));
  }

  /** Ends every call's media (the primary is gone or the worker stops). */
  async closeAll(reason: CloseReason): Promise<void> {
    await Promise.all([...this.#calls.keys()].map((id) => this.#close(id, reason, 'system', true)));
  }

  async #close(callId: string, reason: CloseReason, initiator: HangupInitiator, hangup: boolean, cause?: number) {
    for (const [uuid, e] of this.#expected) if (e.info.callId === callId) this.#expected.delete(uuid);
    this.#connecting.get(callId)?.abort();
    this.#connecting.delete(callId);
    this.#rtp.release(callId);
    this.#rtpCalls.delete(callId);
    const media = this.#calls.get(callId);
    this.#calls.delete(callId);
    const result = media ? await media.close(reason, initiator, hangup, cause) : {};
    if (media) addMediaTotals(this.#ended, media.totals());
    this.#o.send({ type: 'call.closed', callId, ...(result.latency ? { latency: result.latency } : {}) });
  }

  #callInfo(w: WorkerCallInfo): CallInfo | undefined {
    const route = this.#o.routeByName(w.routeName);
    if (!route) return undefined;
    return {
      callId: w.callId,
      direction: w.direction,
      caller: w.caller,
      callee: w.callee,
      route,
      legFormat: legFormatOf(route),
      channelId: w.channelId,
      startedAt: new Date(w.startedAt),
      customParameters: w.customParameters,
      ...(w.amd ? { amd: w.amd } : {}),
      ...(w.invited ? { invited: w.invited } : {}),
    };
  }
}
