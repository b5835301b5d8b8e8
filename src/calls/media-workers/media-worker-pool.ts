// Over 400 lines: the primary's one view of its workers (start, restart, placement of every media kind, stats), whose
// parts share the slots and their channel.
import type { Config } from '../../config/load-config.js';
import { mediaWorkerAudioSocketPort } from '../../config/media-worker-env-vars.js';
import type { ChildProcess } from 'node:child_process';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import type { Socket } from 'node:net';
import {
  type FromWorker,
  fromWorkerSchema,
  type ToWorker,
  type WorkerCallInfo,
  type WorkerStats,
} from '../../protocols/media-worker/messages.js';
import { IpcChannel } from '../../transports/media-worker/ipc-channel.js';
import type { CallSession } from '../call-session.js';
import type { RemoteRtpSocket } from '../media-paths/rtp-media-path.js';
import { type AgentServices, RemoteCallMedia } from './remote-call-media.js';
import type { InvitedAudio } from '../agents/invited-agent.js';
import type { PrimaryAgentWaits } from './primary-agent-waits.js';
import { workerAmdOf } from './worker-amd.js';
import { addStats, zeroStats } from './worker-stats.js';

export interface MediaWorkerPoolOptions {
  count: number;
  /** Starts the process of worker `slot` (with an IPC channel). */
  spawn(slot: number): ChildProcess;
  /** The `init` message worker `slot` gets first (its configuration). */
  init(slot: number): Extract<ToWorker, { type: 'init' }>;
  /** Tool calls (job layer) and transcript store for the workers' agents; their tool calls fail without it. */
  agentServices?: AgentServices;
  /** Host part of the `host:port` Asterisk dials for a worker's AudioSocket. */
  advertiseHost: string;
  logger: Logger;
  /** Longest wait for a worker's `ready`. Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * Wait before a dead worker is started again: 500 ms by default, doubled for each exit in a row that came within
   * a minute of the worker's start (a crash loop), up to 30 s.
   */
  restartDelayMs?: number;
  /** Longest wait for a worker's answer to `call.openRtp`. Default 5 s. */
  rtpBindTimeoutMs?: number;
  /** Where the workers' calls wait for agents that connect in (dial-in, WebRTC); such waits fail without it. */
  agentWaits?: PrimaryAgentWaits;
  /** The audio of the agent that placed a call with `invite` (undefined for other calls). */
  invitedAudio?: (callId: string) => InvitedAudio | undefined;
  /** How many RTP ports worker `slot` binds in (its share of the range); without it RTP calls ignore free ports. */
  rtpPortsOf?: (slot: number) => number;
}

type RtpBindAnswer = Extract<FromWorker, { type: 'rtp.bound' | 'rtp.bindFailed' }>;

/**
 * The AudioSocket port of worker `slot` under `config`: AUDIOSOCKET_PORT+1+slot, stepping over the HTTP port and the
 * chan_websocket listener where they are in the way, or an ephemeral port when AUDIOSOCKET_PORT is 0.
 */
export function workerAudioSocketPort(
  config: Pick<Config, 'audiosocket' | 'http' | 'chanWebSocket'>,
  slot: number,
): number {
  const taken = [
    ...(config.http ? [config.http.port] : []),
    ...(config.chanWebSocket.client ? [config.chanWebSocket.client.port] : []),
  ];
  return mediaWorkerAudioSocketPort(config.audiosocket.port, slot, taken);
}

/** A call placed on a worker before its media connection came in (see `MediaWorkerPool.placeIncoming`). */
export interface IncomingPlacement {
  readonly worker: number;
  readonly info: WorkerCallInfo;
  send(message: ToWorker, socket?: Socket): boolean;
}

/** One worker slot as seen from the primary. */
export interface MediaWorkerState {
  readonly worker: number;
  readonly pid: number | undefined;
  readonly ready: boolean;
  readonly calls: number;
  /** How often the slot's process was started again after it died. */
  readonly restarts: number;
}

interface Slot {
  readonly worker: number;
  child: ChildProcess | undefined;
  channel: IpcChannel<ToWorker, FromWorker> | undefined;
  port: number | undefined;
  readonly calls: Map<string, RemoteCallMedia>;
  /** The RTP calls placed here and not ended: each holds one port of the worker's share. */
  readonly rtpCalls: Set<string>;
  restarts: number;
  /** Exits in a row, each within a minute of the process's start (the restart delay doubles with each). */
  quickExits: number;
  startedAt: number;
  onReady: (() => void) | undefined;
  /** The running process's last reported totals. */
  stats: WorkerStats | undefined;
  /** Totals of the slot's earlier processes (so the sums never go down when a worker is replaced). */
  readonly retired: WorkerStats;
}

/**
 * The media workers of the primary. Each new Stasis call goes to the ready worker with the fewest calls: the call's
 * `CallSession` (here) gets a `RemoteCallMedia`, the worker is told to expect the call's AudioSocket UUID, and
 * Asterisk is given that worker's port. A worker that exits unasked takes only its own calls with it (each ends as
 * `worker_failed`) and is started again.
 */
export class MediaWorkerPool {
  readonly #o: MediaWorkerPoolOptions;
  readonly #log: Logger;
  readonly #slots: Slot[];
  /** RTP calls waiting for their worker's `rtp.bound`, by call. */
  readonly #rtpBinds = new Map<string, { worker: number; settle: (m: RtpBindAnswer) => void }>();
  #stopping = false;

  constructor(options: MediaWorkerPoolOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'media-workers' });
    this.#slots = Array.from({ length: options.count }, (_, worker) => ({
      worker,
      child: undefined,
      channel: undefined,
      port: undefined,
      calls: new Map(),
      rtpCalls: new Set(),
      restarts: 0,
      quickExits: 0,
      startedAt: 0,
      onReady: undefined,
      stats: undefined,
      retired: zeroStats(),
    }));
  }

  get workers(): MediaWorkerState[] {
    return this.#slots.map((s) => ({
      worker: s.worker,
      pid: s.child?.pid,
      ready: s.port !== undefined,
      calls: s.calls.size,
      restarts: s.restarts,
    }));
  }

  /** The worker holding a live call's media, or undefined (not a worker's call, or ended). */
  workerOf(callId: string): number | undefined {
    return this.#slots.find((s) => s.calls.has(callId))?.worker;
  }

  /** Each worker's own process metrics as it last reported them (undefined until its process's first report). */
  processMetrics(): Array<{ worker: number; values: WorkerStats['process'] }> {
    return this.#slots.map((s) => ({ worker: s.worker, values: s.stats?.process }));
  }

  /** The process id of worker `worker` (tests and operators). */
  pidOf(worker: number): number | undefined {
    return this.#slots[worker]?.child?.pid;
  }

  /** Starts every worker and waits until each listens for AudioSocket. */
  async start(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => this.#startSlot(slot)));
    this.#log.info({ workers: this.#slots.map((s) => ({ worker: s.worker, port: s.port })) }, 'media workers ready');
  }

  /**
   * Media, clock and VAD totals of every worker, summed (the last report of each running process, about a second
   * old, plus the final reports of replaced ones).
   */
  totals(): Omit<WorkerStats, 'calls'> & Required<Pick<WorkerStats, 'vad' | 'rtp'>> {
    const out = zeroStats() as ReturnType<MediaWorkerPool['totals']> & WorkerStats;
    for (const slot of this.#slots) addStats(addStats(out, slot.retired), slot.stats);
    return { media: out.media, clock: out.clock, vad: out.vad, rtp: out.rtp };
  }

  /** True when at least one worker is ready to take a call. */
  get ready(): boolean {
    return this.#slots.some((s) => s.port !== undefined && s.channel);
  }

  /**
   * Puts a Stasis call's media on the least-loaded ready worker: attaches its remote media to `session`, tells the
   * worker to expect `uuid`, and returns the `host:port` Asterisk is to dial. Throws MEDIA_WORKER_UNAVAILABLE when
   * no worker is ready.
   */
  place(session: CallSession, uuid: string): string {
    const { slot, info } = this.#assign(session);
    slot.channel?.send({ type: 'call.open', uuid, info });
    session.log.info({ worker: slot.worker, uuid }, 'call media placed on a media worker');
    return `${this.#o.advertiseHost}:${slot.port}`;
  }

  /** Puts a `media: websocket` call's media on the least-loaded ready worker: it connects to `connectionId`. */
  placeWebSocket(session: CallSession, connectionId: string, format: 'slin' | 'slin16'): void {
    const { slot, info } = this.#assign(session);
    slot.channel?.send({ type: 'call.connectWebSocket', info, connectionId, format });
    session.log.info({ worker: slot.worker, connectionId }, 'chan_websocket media placed on a media worker');
  }

  /**
   * Puts a `media: rtp` call's media on the least-loaded ready worker: it binds a UDP socket on a port of its own
   * share of the RTP range. Resolves with the port and `start` (which hands the worker Asterisk's address and the
   * format once the channel is bridged); rejects with the worker's bind error (`RTP_PORTS_EXHAUSTED`),
   * MEDIA_WORKER_UNAVAILABLE when no worker is ready or it exits first, or when the call ends first.
   */
  placeRtp(session: CallSession): Promise<RemoteRtpSocket> {
    // Among workers with a free port of their share (each RTP call holds one), the least loaded; with none, the
    // least loaded of all, which refuses the call (`RTP_PORTS_EXHAUSTED`) as one process does.
    const ports = this.#o.rtpPortsOf;
    const { slot, info } = this.#assign(session, ports && ((s) => s.rtpCalls.size < ports(s.worker)));
    const channel = slot.channel;
    const callId = info.callId;
    const worker = slot.worker;
    slot.rtpCalls.add(callId);
    session.once('ended', () => slot.rtpCalls.delete(callId));
    session.log.info({ worker }, 'RTP media placed on a media worker');
    return new Promise<RemoteRtpSocket>((resolve, reject) => {
      const timer = setTimeout(
        () => settle({ type: 'rtp.bindFailed', callId, code: 'MEDIA_WORKER_UNAVAILABLE', message: 'no answer' }),
        this.#o.rtpBindTimeoutMs ?? 5000,
      );
      const onEnded = () =>
        settle({ type: 'rtp.bindFailed', callId, code: 'CALL_ENDED', message: 'the call ended first' });
      const settle = (m: RtpBindAnswer) => {
        clearTimeout(timer);
        session.off('ended', onEnded);
        this.#rtpBinds.delete(callId);
        if (m.type === 'rtp.bound')
          return resolve({
            port: m.port,
            worker,
            start: (channelId, format, peer) =>
              channel?.send({ type: 'call.startRtp', callId, channelId, format, ...(peer ? { peer } : {}) }),
          });
        reject(
          new AppError(`media worker ${worker}: ${m.message}`, {
            code: m.code,
            category: m.code === 'RTP_PORTS_EXHAUSTED' ? 'configuration' : 'server',
            retryable: true,
          }),
        );
      };
      session.once('ended', onEnded);
      this.#rtpBinds.set(callId, { worker, settle });
      channel?.send({ type: 'call.openRtp', info });
    });
  }

  /**
   * Hands a dialplan-direct call's AudioSocket (accepted and admitted here) to the least-loaded ready worker, with
   * every byte read from it so far. Throws MEDIA_WORKER_UNAVAILABLE when no worker is ready.
   */
  handOver(session: CallSession, uuid: string, socket: Socket, raw: Buffer): void {
    const { slot, info } = this.#assign(session);
    slot.channel?.send({ type: 'call.adopt', uuid, info, raw: raw.toString('base64') }, socket);
    session.log.info({ worker: slot.worker, uuid }, 'dialplan-direct call handed over to a media worker');
  }

  /**
   * Puts a call whose media connection will come in through the primary (an HTTP upgrade handed over later) on the
   * least-loaded ready worker: attaches its remote media to `session`, and returns the worker, the call's info, and
   * how to send that worker a message with a socket (false once that worker's process is gone: its calls end as
   * `worker_failed`). Throws MEDIA_WORKER_UNAVAILABLE when no worker is ready.
   */
  placeIncoming(session: CallSession): IncomingPlacement {
    const { slot, info } = this.#assign(session);
    const channel = slot.channel;
    return {
      worker: slot.worker,
      info,
      send: (message, socket) => channel !== undefined && slot.channel === channel && channel.send(message, socket),
    };
  }

  /** The least-loaded ready worker (of those `prefer` accepts, when any does) takes the call's media. */
  #assign(session: CallSession, prefer?: (slot: Slot) => boolean): { slot: Slot; info: WorkerCallInfo } {
    const ready = this.#slots.filter((s) => s.port !== undefined && s.channel);
    const preferred = prefer ? ready.filter(prefer) : [];
    const slot = (preferred.length > 0 ? preferred : ready).sort(
      (a, b) => a.calls.size - b.calls.size || a.worker - b.worker,
    )[0];
    const channel = slot?.channel;
    if (!slot || !channel)
      throw new AppError('no media worker is ready to take the call', {
        code: 'MEDIA_WORKER_UNAVAILABLE',
        category: 'server',
        retryable: true,
      });
    const remote = new RemoteCallMedia(slot.worker, session.id, (m) => channel.send(m), this.#o.agentServices);
    slot.calls.set(session.id, remote);
    session.once('ended', () => {
      if (slot.calls.get(session.id) === remote) slot.calls.delete(session.id);
    });
    session.attachRemoteMedia(remote);
    const i = session.info;
    const info: WorkerCallInfo = {
      callId: i.callId,
      direction: i.direction,
      ...(i.caller !== undefined ? { caller: i.caller } : {}),
      ...(i.callee !== undefined ? { callee: i.callee } : {}),
      routeName: i.route.name,
      ...(i.channelId !== undefined ? { channelId: i.channelId } : {}),
      startedAt: i.startedAt.toISOString(),
      customParameters: { ...i.customParameters },
      ...(i.amd ? { amd: workerAmdOf(i.amd) } : {}),
    };
    const invited = this.#o.invitedAudio?.(session.id);
    if (invited) info.invited = invited;
    return { slot, info };
  }

  /** Stops every worker (their calls should have ended: the primary drains first). Idempotent. */
  async close(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #startSlot(slot: Slot): Promise<void> {
    const log = this.#log.child({ worker: slot.worker });
    const child = this.#o.spawn(slot.worker);
    slot.child = child;
    slot.startedAt = Date.now();
    slot.port = undefined;
    const channel = new IpcChannel<ToWorker, FromWorker>(child, fromWorkerSchema, (m) => this.#receive(slot, m), log);
    slot.channel = channel;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new AppError(`media worker ${slot.worker} did not start in time`, {
              code: 'MEDIA_WORKER_START_FAILED',
              category: 'server',
            }),
          ),
        this.#o.readyTimeoutMs ?? 20_000,
      );
      slot.onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      child.once('exit', () => {
        clearTimeout(timer);
        reject(
          new AppError(`media worker ${slot.worker} exited while starting`, {
            code: 'MEDIA_WORKER_START_FAILED',
            category: 'server',
          }),
        );
      });
    });
    child.once('exit', (code, signal) => this.#exited(slot, child, code, signal));
    child.on('error', (err) => log.error({ err }, 'media worker process error'));
    channel.send(this.#o.init(slot.worker));
    return ready;
  }

  #receive(slot: Slot, m: FromWorker): void {
    if (m.type === 'stats') {
      slot.stats = m.stats;
      return;
    }
    if (m.type === 'rtp.bound' || m.type === 'rtp.bindFailed') {
      this.#rtpBinds.get(m.callId)?.settle(m);
      return;
    }
    if (m.type === 'agent.wait' || m.type === 'agent.waitCancel') {
      const channel = slot.channel;
      const reply = (message: ToWorker, socket?: Socket) =>
        channel !== undefined && slot.channel === channel && channel.send(message, socket);
      if (this.#o.agentWaits) this.#o.agentWaits.receive(slot.worker, m, reply);
      else if (m.type === 'agent.wait')
        reply({
          type: 'agent.waitFailed',
          callId: m.callId,
          requestId: m.requestId,
          code: 'AGENT_ENDPOINT_MISSING',
          category: 'configuration',
          message: 'agents cannot connect in: this adapter has no HTTP server',
        });
      return;
    }
    if (m.type === 'ready') {
      slot.port = m.audioSocketPort;
      this.#log.info({ worker: slot.worker, pid: slot.child?.pid, port: m.audioSocketPort }, 'media worker ready');
      slot.onReady?.();
      return;
    }
    slot.calls.get(m.callId)?.receive(m);
  }

  #exited(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    slot.channel?.close();
    slot.channel = undefined;
    slot.port = undefined;
    // A process that is gone holds no port any more.
    if (slot.stats?.rtp) slot.stats.rtp.portsInUse = 0;
    addStats(slot.retired, slot.stats);
    slot.stats = undefined;
    const calls = [...slot.calls.values()];
    slot.calls.clear();
    slot.rtpCalls.clear();
    this.#o.agentWaits?.workerGone(slot.worker);
    for (const [callId, bind] of this.#rtpBinds)
      if (bind.worker === slot.worker)
        bind.settle({ type: 'rtp.bindFailed', callId, code: 'MEDIA_WORKER_UNAVAILABLE', message: 'it exited' });
    if (this.#stopping) {
      for (const c of calls) c.lost();
      return;
    }
    slot.restarts += 1;
    slot.quickExits = Date.now() - slot.startedAt < 60_000 ? slot.quickExits + 1 : 0;
    const delay = Math.min((this.#o.restartDelayMs ?? 500) * 2 ** Math.max(0, slot.quickExits - 1), 30_000);
    this.#log.error(
      { worker: slot.worker, pid: child.pid, code, signal, calls: calls.length, restartInMs: delay },
      'media worker exited; ending its calls and starting it again',
    );
    for (const c of calls) c.lost();
    setTimeout(() => {
      if (this.#stopping) return;
      this.#startSlot(slot).catch((err: unknown) =>
        this.#log.error({ err, worker: slot.worker }, 'media worker could not be started again'),
      );
    }, delay).unref();
  }
}
