import type { AudioFormat } from '../../audio/format.js';
import type { MediaClock } from '../../audio/media-clock.js';
import { AppError } from '../../errors/app-error.js';
import { UPLINK_SILENCE_REPORT_MS } from '../../protocols/media-worker/messages.js';
import type { Logger } from '../../observability/logger.js';
import type { MediaTotals } from '../../observability/metrics.js';
import type { LifecycleEventData, LifecycleEventType } from '../call-lifecycle.js';
import type { HangupInitiator } from '../close-reason.js';
import type { CloseReason } from '../close-reason.js';
import { reportUplinkGap } from '../call-media-watch.js';
import { MediaBridge } from '../media-bridge.js';
import type { MediaLeg, MediaLegCloseReason, SpeechDetectorFactory } from '../media-leg.js';
import type { CallLatency } from '../turn-latency.js';
import { withAmdResult } from '../amd/amd-call-info.js';
import { type WorkerAmdReports, workerAmdStep } from './worker-amd.js';
import type { AgentAction, AgentFactory, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';

/** What the media plane of one call tells its owner (the primary's `CallSession`, through the worker channel). */
export interface WorkerCallReports {
  connected(
    format: AudioFormat,
    agentKind: string,
    can: { sendMessage: boolean; speakToTransferTarget: boolean },
  ): void;
  active(agentKind: string): void;
  failed(reason: 'agent_failed' | 'agent_rejected', code?: string, message?: string): void;
  legClosed(reason: MediaLegCloseReason): void;
  /** The caller has sent no audio on the wire for `silentMs` (0: it resumed); the owner's watchdog decides. */
  uplinkSilence(silentMs: number): void;
  event<K extends LifecycleEventType>(type: K, data: LifecycleEventData[K]): void;
  /** Asks the owner to carry out an agent's action; settles with its outcome. */
  act(action: AgentAction): Promise<void>;
  /** Answering-machine detection's verdict and the call's end it asks for (see worker-amd.ts). */
  amd: WorkerAmdReports;
}

export interface WorkerCallMediaOptions {
  info: CallInfo;
  leg: MediaLeg;
  agentFactory: AgentFactory;
  clock: MediaClock;
  playoutMaxMs: number;
  speech: SpeechDetectorFactory | undefined;
  agentConnectTimeoutMs: number;
  gapFillAfterMs: number | undefined;
  reports: WorkerCallReports;
  logger: Logger;
}

/**
 * The media plane of one call inside a media worker: its AudioSocket leg, its agent and the bridge between them,
 * paced by the worker's media clock. It has no state machine of its own: it reports, and the primary decides
 * (ending the call included: `close` comes from there). DTMF comes from ARI through the primary, so the leg's is off.
 */
export class WorkerCallMedia {
  readonly #o: WorkerCallMediaOptions;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #agent: VoiceAgent | undefined;
  #bridge: MediaBridge | undefined;
  #closing: Promise<{ latency?: CallLatency }> | undefined;
  #unsubscribeSilence: (() => void) | undefined;
  readonly #onLegClose = (reason: MediaLegCloseReason) => this.#o.reports.legClosed(reason);

  constructor(options: WorkerCallMediaOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Creates the agent and the bridge, starts pacing frames at once, then starts the agent. */
  async start(): Promise<void> {
    const { info, leg, reports } = this.#o;
    leg.on('close', this.#onLegClose);
    let agent: VoiceAgent;
    try {
      agent = this.#o.agentFactory({ ...info, legFormat: leg.format });
    } catch (err) {
      this.#log.error({ err }, 'agent could not be created');
      return reports.failed('agent_failed');
    }
    this.#agent = agent;
    const bridge = new MediaBridge({
      callId: info.callId,
      leg,
      agent,
      clock: this.#o.clock,
      playoutMaxMs: this.#o.playoutMaxMs,
      bargeIn: info.route.bargeIn.enabled,
      speech: this.#o.speech,
      legDtmf: false,
      act: (action) => reports.act(action),
      onAgentFailure: (error) => {
        this.#log.warn({ err: error, code: error.code }, 'agent failed');
        reports.failed('agent_failed');
      },
      logger: this.#log,
      gapFillAfterMs: this.#o.gapFillAfterMs,
      onGapStart: () => this.#log.debug('caller audio stopped on the wire; filling the gap with silence'),
      onGapEnd: (gap) => reportUplinkGap({ log: this.#log, record: (type, data) => reports.event(type, data) }, gap),
    });
    this.#bridge = bridge;
    bridge.start();
    if (this.#o.gapFillAfterMs !== undefined) this.#reportSilence(bridge);
    reports.connected(leg.format, agent.kind, {
      sendMessage: agent.sendMessage !== undefined,
      speakToTransferTarget: agent.speakToTransferTarget !== undefined,
    });
    const amd = await workerAmdStep({
      ...this.#o,
      bridge,
      signal: this.#abort.signal,
      log: this.#log,
      reports: reports.amd,
    });
    if (amd === 'ended' || this.#closing) return;
    const timeout = AbortSignal.timeout(this.#o.agentConnectTimeoutMs);
    try {
      await agent.start(
        { ...withAmdResult(info, amd), legFormat: leg.format },
        bridge.output,
        AbortSignal.any([this.#abort.signal, timeout]),
      );
    } catch (err) {
      if (this.#closing) return;
      const code =
        err instanceof AppError ? err.code : timeout.aborted ? 'AGENT_CONNECT_TIMEOUT' : 'AGENT_START_FAILED';
      this.#log.warn({ err, code }, 'agent did not start');
      const message = err instanceof Error ? err.message : String(err);
      return reports.failed(code === 'AGENT_REJECTED' ? 'agent_rejected' : 'agent_failed', code, message);
    }
    if (this.#closing) return;
    bridge.agentReady();
    reports.active(agent.kind);
    agent.notify({ type: 'answer' });
  }

  /**
   * Reports the caller's silence on the wire to the owner, which runs the dead-leg watchdog: every
   * `UPLINK_SILENCE_REPORT_MS` while it lasts, and 0 once audio resumes after a report. Nothing while audio flows.
   */
  #reportSilence(bridge: MediaBridge): void {
    let next = UPLINK_SILENCE_REPORT_MS;
    this.#unsubscribeSilence = this.#o.clock.subscribe(() => {
      const silentMs = bridge.uplinkSilentMs;
      if (silentMs < next - UPLINK_SILENCE_REPORT_MS) {
        if (next > UPLINK_SILENCE_REPORT_MS) this.#o.reports.uplinkSilence(0);
        next = UPLINK_SILENCE_REPORT_MS;
      }
      if (silentMs < next) return;
      this.#o.reports.uplinkSilence(silentMs);
      next = silentMs + UPLINK_SILENCE_REPORT_MS;
    });
  }

  /** This call's media counters so far (zeros before its bridge exists). */
  totals(): MediaTotals {
    const b = this.#bridge;
    if (!b) return { framesIn: 0, framesOut: 0, bargeIns: 0, playoutUnderruns: 0, playoutOverflowBytes: 0 };
    return {
      framesIn: b.stats.framesIn,
      framesOut: b.stats.framesOut,
      bargeIns: b.stats.bargeIns,
      playoutUnderruns: b.playout.stats.underruns,
      playoutOverflowBytes: b.playout.stats.overflowBytes,
    };
  }

  setMuted(muted: boolean): void {
    this.#bridge?.setMuted(muted);
  }

  /** A notice from the call's owner (a warm transfer's steps). */
  notify(notice: CallNotice): void {
    this.#agent?.notify(notice);
  }

  /** A text message from the control plane; false when the agent takes none. */
  sendMessage(text: string, interrupt: boolean): boolean {
    if (!this.#agent?.sendMessage) return false;
    this.#agent.sendMessage(text, { interrupt });
    return true;
  }

  /** Has the agent speak a warm transfer's summary to the person; rejects when it cannot. */
  async speakToTransferTarget(text: string, signal: AbortSignal): Promise<void> {
    const agent = this.#agent;
    if (!agent?.speakToTransferTarget)
      throw new AppError('the agent cannot speak to the transfer target', {
        code: 'ACTION_UNAVAILABLE',
        category: 'invalid_request',
      });
    await agent.speakToTransferTarget(text, signal);
  }

  dtmf(digit: string, durationMs?: number): void {
    this.#agent?.notify({ type: 'dtmf', digit, ...(durationMs !== undefined ? { durationMs } : {}) });
  }

  /** Ends the agent, the bridge and the leg (sending the AudioSocket hangup when asked); idempotent, never rejects. */
  close(
    reason: CloseReason,
    initiator: HangupInitiator,
    hangupLeg: boolean,
    cause?: number,
  ): Promise<{ latency?: CallLatency }> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      this.#unsubscribeSilence?.();
      const leg = this.#o.leg;
      leg.off('close', this.#onLegClose);
      const steps: Array<() => unknown> = [
        () => this.#bridge?.close(),
        () => this.#agent?.close(reason, initiator, cause),
        () => {
          if (leg.closed) return;
          if (hangupLeg) leg.hangup();
          else return leg.close();
        },
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          this.#log.warn({ err }, 'media teardown step failed');
        }
      }
      return this.#bridge ? { latency: this.#bridge.latency } : {};
    })();
    return this.#closing;
  }
}
