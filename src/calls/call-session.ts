import type { MediaClock } from '../audio/media-clock.js';
import { AppError } from '../errors/app-error.js';
import { withAmdResult } from './amd/amd-call-info.js';
import { answeringMachineStep } from './amd/amd-step.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import type { Logger } from '../observability/logger.js';
import type { CallTelephony } from './call-control.js';
import type { LifecycleEvent, LifecycleEventData, LifecycleEventType } from './call-lifecycle.js';
import { type CloseReason, type HangupInitiator, initiatorOf } from './close-reason.js';
import { MediaBridge } from './media-bridge.js';
import type { MediaLeg, MediaLegCloseReason, SpeechDetectorFactory } from './media-leg.js';
import type {
  AgentAction,
  AgentControl,
  AgentFactory,
  AgentOutput,
  CallInfo,
  VoiceAgent,
  WarmTransferRequest,
} from './voice-agent.js';
import { type StartedWarmTransfer, startWarmTransfer } from './warm-transfer-session.js';
import { controlOnlyOutput } from './control-only-output.js';
import type { CallLatency } from './turn-latency.js';
import type { SilenceWatchdog } from './silence-watchdog.js';
import { reportUplinkGap, watchCallSilence } from './call-media-watch.js';
import { closeRemoteMedia, followRemoteMedia, type RemoteMedia, type RemoteMediaEnd } from './remote-media.js';

/** Longest a fallback announcement may play before the call is hung up anyway. */
const FALLBACK_PLAY_TIMEOUT_MS = 30_000;

export const CALL_STATES = ['new', 'connecting', 'active', 'ending', 'ended'] as const;
export type CallState = (typeof CALL_STATES)[number];

/** A lifecycle change worth recording (and delivering to webhooks): see `call-lifecycle.ts`. */
export type CallLifecycleEvent = LifecycleEvent;

export interface CallEndSummary {
  callId: string;
  reason: CloseReason;
  initiator: HangupInitiator;
  startedAt: Date;
  endedAt: Date;
  hangupCause?: number | undefined;
  hangupCauseText?: string | undefined;
  /** Turn latency breakdown, when the call had media. */
  latency?: CallLatency | undefined;
}

export interface CallSessionEvents {
  [key: string]: unknown[];
  state: [state: CallState];
  event: [event: CallLifecycleEvent];
  ended: [summary: CallEndSummary];
}

export interface CallSessionOptions {
  info: CallInfo;
  agentFactory: AgentFactory;
  clock: MediaClock;
  playoutMaxMs: number;
  bargeIn: boolean;
  speech?: SpeechDetectorFactory | undefined;
  telephony?: CallTelephony | undefined;
  /** Deliver DTMF from the media leg (AudioSocket 0x03); off where ARI reports DTMF already. */
  legDtmf?: boolean;
  /** How long the agent may take to connect before the call falls back. */
  agentConnectTimeoutMs: number;
  logger: Logger;
  /** Inbound gaps longer than this (ms) are filled with silence (`MEDIA_GAP_FILL_AFTER_MS`); off if unset. */
  gapFillAfterMs?: number | undefined;
  /**
   * When inbound silence ends the call: Stasis calls ask ARI (`telephony.liveness`), dialplan-direct calls use a
   * limit. Unset: never.
   */
  silence?: { ariCheckAfterMs: number; directLimitMs: number } | undefined;
  /** MEDIA_WORKERS > 0: a leg attached here runs in the primary (`media.connected` records `worker: "primary"`). */
  mediaWorkersOn?: boolean | undefined;
}

/**
 * One call: its media leg, its agent, the bridge between them and (for Stasis calls) its telephony side.
 * Whatever ends first — caller, agent, media, ARI, shutdown — `close(reason)` tears everything down exactly once.
 */
export class CallSession extends TypedEmitter<CallSessionEvents> {
  readonly id: string;
  readonly info: CallInfo;
  readonly log: Logger;
  #state: CallState = 'new';
  #o: CallSessionOptions;
  #agent: VoiceAgent | undefined;
  #bridge: MediaBridge | undefined;
  #leg: MediaLeg | undefined;
  #remote: RemoteMedia | undefined; // the media plane on a media worker (MEDIA_WORKERS > 0)
  #abort = new AbortController();
  #closing: Promise<void> | undefined;
  #hangupCause: { cause?: number; text?: string } = {};
  #endSummary: CallEndSummary | undefined;
  #watchdog: SilenceWatchdog | undefined;
  #unsubscribeWatchdog: (() => void) | undefined;
  readonly #onLegClose = (reason: MediaLegCloseReason) => {
    this.log.info({ legReason: reason }, 'media leg closed');
    if (reason === 'hangup_sent') void this.close('agent_hangup');
    // Without ARI the AudioSocket is the whole call: Asterisk closing it is the caller hanging up.
    else if (reason === 'remote_closed' && !this.#o.telephony) void this.close('caller_hangup');
    else void this.close('media_closed');
  };

  constructor(options: CallSessionOptions) {
    super();
    this.#o = options;
    this.info = options.info;
    this.id = options.info.callId;
    this.log = options.logger;
  }

  get state(): CallState {
    return this.#state;
  }

  /** True once close() has been called (the call is ending or ended). */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  get bridge(): MediaBridge | undefined {
    return this.#bridge;
  }

  get agent(): AgentControl | undefined {
    return this.#agent ?? this.#remote?.agent;
  }

  get telephony(): CallTelephony | undefined {
    return this.#o.telephony;
  }

  get endSummary(): CallEndSummary | undefined {
    return this.#endSummary;
  }

  /** Resolves when the call has ended and everything is released. */
  get done(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#state === 'ended') resolve();
      else this.once('ended', () => resolve());
    });
  }

  /** Records the cause Asterisk gave (ChannelDestroyed / ChannelHangupRequest). */
  setHangupCause(cause: number | undefined, text: string | undefined): void {
    this.#hangupCause = { ...(cause !== undefined ? { cause } : {}), ...(text !== undefined ? { text } : {}) };
  }

  /** Connects the media leg, starts pacing frames at once, and starts the agent. */
  async attachLeg(leg: MediaLeg): Promise<void> {
    if (this.#state !== 'new')
      throw new AppError('call already has media', { code: 'CALL_MEDIA_ATTACHED', category: 'conflict' });
    this.#leg = leg;
    leg.on('close', this.#onLegClose);
    let agent: VoiceAgent;
    try {
      agent = this.#o.agentFactory({ ...this.info, legFormat: leg.format });
    } catch (err) {
      this.log.error({ err }, 'agent could not be created');
      await this.close('agent_failed');
      return;
    }
    this.#agent = agent;
    const bridge = new MediaBridge({
      callId: this.id,
      leg,
      agent,
      clock: this.#o.clock,
      playoutMaxMs: this.#o.playoutMaxMs,
      bargeIn: this.#o.bargeIn,
      speech: this.#o.speech,
      legDtmf: this.#o.legDtmf ?? true,
      act: (action) => this.act(action),
      onAgentFailure: (error) => this.#agentFailed(error),
      logger: this.log,
      gapFillAfterMs: this.#o.gapFillAfterMs,
      // Debug only: most gaps are jitter of a few hundred ms; the ones that last (GAP_REPORT_MS) are logged at their end.
      onGapStart: () => this.log.debug('caller audio stopped on the wire; filling the gap with silence'),
      onGapEnd: (gap) => reportUplinkGap(this, gap),
    });
    this.#bridge = bridge;
    bridge.start();
    if (this.#o.silence && this.#o.gapFillAfterMs !== undefined) {
      const watch = watchCallSilence(this, bridge, this.#o.silence, this.#o.telephony, this.#o.clock);
      this.#watchdog = watch.watchdog;
      this.#unsubscribeWatchdog = watch.unsubscribe;
    }
    this.#setState('connecting');
    if (this.#o.mediaWorkersOn) this.log.info({ worker: 'primary' }, 'call media runs in the primary process');
    const where = this.#o.mediaWorkersOn ? { worker: 'primary' as const } : {};
    this.record('media.connected', { format: leg.format, agent: agent.kind, ...where });
    const amd = await answeringMachineStep(this, { leg, bridge, speech: this.#o.speech, signal: this.#abort.signal });
    if (this.#closing || amd === 'ended') return;
    await this.#startAgent(agent, { ...withAmdResult(this.info, amd), legFormat: leg.format }, bridge.output, () =>
      bridge.agentReady(),
    );
  }

  /**
   * Starts the agent of a call whose audio does not pass through the adapter (Asterisk bridges the caller with
   * the agent's own SIP leg): no media leg, no bridge; the agent gets control only (`controlOnlyOutput`). The call
   * is active (and the agent told `answer`, so it may greet) once the agent started and `mediaReady` resolved.
   */
  async startWithoutMedia(mediaReady: Promise<void> = Promise.resolve()): Promise<void> {
    if (this.#state !== 'new')
      throw new AppError('call already started', { code: 'CALL_MEDIA_ATTACHED', category: 'conflict' });
    let agent: VoiceAgent;
    try {
      agent = this.#o.agentFactory(this.info);
    } catch (err) {
      this.log.error({ err }, 'agent could not be created');
      await this.close('agent_failed');
      return;
    }
    this.#agent = agent;
    this.#setState('connecting');
    const output = controlOnlyOutput({ act: (a) => this.act(a), fail: (e) => this.#agentFailed(e) });
    await this.#startAgent(agent, this.info, output, () => mediaReady);
  }

  #agentFailed(error: AppError): void {
    this.log.warn({ err: error, code: error.code }, 'agent failed');
    void this.close('agent_failed');
  }

  /** Starts the agent; once `ready` (media flowing) the call is active and the agent told `answer`. */
  async #startAgent(agent: VoiceAgent, info: CallInfo, output: AgentOutput, ready: () => unknown): Promise<void> {
    const timeout = AbortSignal.timeout(this.#o.agentConnectTimeoutMs);
    const signal = AbortSignal.any([this.#abort.signal, timeout]);
    try {
      await agent.start(info, output, signal);
    } catch (err) {
      if (this.#closing) return;
      const code =
        err instanceof AppError ? err.code : timeout.aborted ? 'AGENT_CONNECT_TIMEOUT' : 'AGENT_START_FAILED';
      this.log.warn({ err, code }, 'agent did not start');
      this.record('agent.failed', { code, message: err instanceof Error ? err.message : String(err) });
      await this.close(err instanceof AppError && err.code === 'AGENT_REJECTED' ? 'agent_rejected' : 'agent_failed');
      return;
    }
    if (this.#closing) return;
    const ending = new Promise<void>((resolve) => this.#abort.signal.addEventListener('abort', () => resolve()));
    await Promise.race([ready(), ending]);
    if (this.#closing) return;
    this.#setState('active');
    this.record('agent.connected', { kind: agent.kind });
    agent.notify({ type: 'answer' });
  }

  /** Takes a media plane held by a media worker: its reports drive this session, which alone decides (see remote-media.ts). */
  attachRemoteMedia(media: RemoteMedia): void {
    if (this.#state !== 'new' || this.#remote)
      throw new AppError('call already has media', { code: 'CALL_MEDIA_ATTACHED', category: 'conflict' });
    this.#remote = media;
    followRemoteMedia(media, this, (state) => this.#setState(state), this.#onLegClose, this.#o);
  }

  /** Delivers a DTMF digit from the telephony side (ARI) to the agent. */
  dtmf(digit: string, durationMs?: number): void {
    this.#agent?.notify({ type: 'dtmf', digit, ...(durationMs !== undefined ? { durationMs } : {}) });
    this.#remote?.dtmf(digit, durationMs);
    this.record('dtmf', { digit });
  }

  /** Carries out an agent's or the control plane's action. */
  async act(action: AgentAction): Promise<void> {
    const tel = this.#o.telephony;
    this.record('action', { ...action });
    switch (action.type) {
      case 'hangup':
        await this.close('agent_hangup');
        return;
      case 'mute':
        this.#bridge?.setMuted(true);
        this.#remote?.setMuted(true);
        return;
      case 'unmute':
        this.#bridge?.setMuted(false);
        this.#remote?.setMuted(false);
        return;
      case 'transfer':
        await this.#need(tel, action.type).transfer(action.target);
        await this.close('transferred');
        return;
      case 'warmTransfer':
        await startWarmTransfer(this, action.transfer, this.#abort.signal, true).done;
        return;
      case 'play':
        await this.#need(tel, action.type).play(action.media, action.playId);
        return;
      case 'dtmf':
        await this.#need(tel, action.type).sendDtmf(action.digits);
        return;
    }
  }

  /** Starts a warm transfer for the control plane (REST, CLI, queue); its steps are lifecycle events. */
  startWarmTransfer(request: WarmTransferRequest): StartedWarmTransfer {
    const started = startWarmTransfer(this, request, this.#abort.signal, false);
    started.done.catch((err: unknown) => this.log.info({ err }, 'warm transfer ended without the caller bridged'));
    return started;
  }

  #need(tel: CallTelephony | undefined, what: string): CallTelephony {
    if (!tel) {
      throw new AppError(`${what} needs an ARI call; this call came straight from the dialplan`, {
        code: 'ACTION_UNAVAILABLE',
        category: 'invalid_request',
      });
    }
    return tel;
  }

  /** Records a lifecycle event of this call (listeners get it as `event`). */
  record<K extends LifecycleEventType>(type: K, data: LifecycleEventData[K]): void {
    this.emit('event', { callId: this.id, type, at: new Date(), data } as LifecycleEvent);
  }

  /** Ends the call exactly once, whatever asked first; always resolves. */
  close(reason: CloseReason): Promise<void> {
    this.#closing ??= this.#teardown(reason);
    return this.#closing;
  }

  async #teardown(reason: CloseReason): Promise<void> {
    this.#setState('ending');
    this.#abort.abort();
    const initiator = initiatorOf(reason);
    this.log.info({ reason, initiator }, 'call ending');
    const leg = this.#leg;
    leg?.off('close', this.#onLegClose);
    this.#unsubscribeWatchdog?.();
    const partsClosed = Promise.all([this.#watchdog?.close(), this.#bridge?.close()]);
    const fallback = this.info.route.fallback;
    let remoteEnd: RemoteMediaEnd | undefined;
    const steps: Array<() => unknown> = [
      () => partsClosed,
      () => this.#agent?.close(reason, initiator, this.#hangupCause.cause),
      async () => {
        this.#remote?.off('legClosed', this.#onLegClose);
        if (this.#remote) remoteEnd = await closeRemoteMedia(this.#remote, reason, initiator, this.#hangupCause.cause);
      },
      () => {
        const tel = this.#o.telephony;
        if (!tel || fallback.action !== 'play' || (reason !== 'agent_failed' && reason !== 'shutdown')) return;
        this.log.info({ media: fallback.media }, 'playing the fallback to the caller');
        return tel.playAndWait(fallback.media, FALLBACK_PLAY_TIMEOUT_MS);
      },
      () => {
        if (!leg || leg.closed) return;
        if (reason === 'caller_hangup' || reason === 'media_closed') leg.close();
        else leg.hangup();
      },
      () => {
        const tel = this.#o.telephony;
        if (!tel) return;
        if (reason !== 'caller_hangup' && reason !== 'transferred') return tel.hangup(reason).then(() => tel.release());
        return tel.release();
      },
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        this.log.warn({ err }, 'call teardown step failed');
      }
    }
    const ended = remoteEnd?.reason ?? reason; // a worker's death may show through Asterisk first
    const summary: CallEndSummary = {
      callId: this.id,
      reason: ended,
      initiator,
      startedAt: this.info.startedAt,
      endedAt: new Date(),
      hangupCause: this.#hangupCause.cause,
      hangupCauseText: this.#hangupCause.text,
      latency: this.#bridge?.latency ?? remoteEnd?.latency,
    };
    this.#endSummary = summary;
    this.record('call.ended', {
      reason: ended,
      initiator,
      ...this.#hangupCause,
      ...(summary.latency ? { latency: summary.latency } : {}),
    });
    this.#setState('ended');
    this.emit('ended', summary);
  }

  #setState(state: CallState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
