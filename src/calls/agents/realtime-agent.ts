// Over 400 lines: the Realtime relay's event switch; turns, tools, transcripts and barge-in already live in their own files.
import { type AudioFormat, FRAME_MS } from '../../audio/format.js';
import type { RealtimeAgentConfig } from '../../config/realtime-route.js';
import { AppError } from '../../errors/app-error.js';
import { assertNever } from '../../lib/assert-never.js';
import type { Logger } from '../../observability/logger.js';
import {
  audioFormatOf,
  type RealtimeAudioFormat,
  realtimeAudioMs,
  realtimeFormatsEqual,
} from '../../protocols/realtime/audio-formats.js';
import {
  type RealtimeClientEvent,
  type RealtimeResponseParams,
  systemTextItem,
} from '../../protocols/realtime/client-events.js';
import type {
  RealtimeKnownServerEvent,
  RealtimeServerItem,
  ServerEventOf,
} from '../../protocols/realtime/server-events.js';
import type { SessionEcho } from '../../protocols/realtime/session-wire.js';
import type { RetryPolicy } from '../../lib/retry-policy.js';
import { defaultAuthScheme, realtimeUrl } from '../../transports/realtime/connect-realtime-socket.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';
import { RealtimeBargeIn } from './realtime-barge-in.js';
import { RealtimeConnection } from './realtime-connection.js';
import { ConversationLog } from './realtime-conversation.js';
import { PlayoutDrain } from './realtime-playout-drain.js';
import { ResponseQueue } from './realtime-responses.js';
import { handleRealtimeError, logRateLimits } from './realtime-server-errors.js';
import {
  chooseRealtimeFormat,
  planSession,
  type RealtimeSessionPlan,
  type RouteFunctionTool,
  withoutAudioFormats,
} from './realtime-session-config.js';
import { type FunctionCallInfo, ToolCallCoordinator } from './realtime-tool-calls.js';
import { type UplinkHoldStats, UplinkChunker, isUplinkChunkMs } from './uplink-chunker.js';
import type { ToolInvoker } from './realtime-tool-invoker.js';
import { runRealtimeTool } from './realtime-tool-runner.js';
import type { TranscriptSink } from './realtime-transcripts.js';
import { RealtimeTurns } from './realtime-turns.js';

export interface RealtimeAgentOptions {
  readonly config: RealtimeAgentConfig;
  /** Format of the call's Asterisk leg: it decides the session's audio format, fixed for the call. */
  readonly legFormat: AudioFormat;
  /** The API key (from the route's `secretEnv`); never logged. */
  readonly apiKey: string | undefined;
  /** The route's HTTP tools: the model is told about them; they run through `tools`. */
  readonly routeTools?: readonly RouteFunctionTool[];
  readonly tools: ToolInvoker;
  readonly transcripts: TranscriptSink;
  /** Reconnect policy of the route (connect at start and reconnects mid-call). */
  readonly reconnect: RetryPolicy;
  /** Upper bound for one connect (TCP + TLS + upgrade). Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * Sideband control of a SIP call (agent kind `openai-sip`): no audio passes here. The agent connects to this
   * URL (`…/realtime?call_id=…`), leaves the audio formats out of `session.update` (SIP negotiated them), greets
   * without waiting for caller audio, and after a lost connection rejoins the same server session without
   * replaying the conversation (the server kept it).
   */
  readonly sidebandUrl?: string;
  readonly logger: Logger;
}

type Phase = 'new' | 'opening' | 'live' | 'reconnecting' | 'closed';

/**
 * Longest wait after the answer for the caller's first audio before the greeting is asked for anyway. The
 * greeting waits for it because the leg's format is only known once audio flows (a 16 kHz leg restarts playout
 * when its first frame arrives, which would drop a greeting queued before).
 */
const GREETING_AUDIO_WAIT_MS = 500;

/** Filler responses carry this metadata so their items are known as out-of-band. */
const FILLER_PURPOSE = 'filler';
/** `metadata.purpose` of the out-of-band response that speaks a warm transfer's summary to the person. */
const SUMMARY_PURPOSE = 'transfer-summary';

/**
 * The OpenAI Realtime agent: the adapter relays the call to a Realtime session over a WebSocket (OpenAI, Azure
 * OpenAI or any compatible server) and speaks its GA protocol (beta names accepted).
 *
 * - Audio: μ-law at 8 kHz when the leg is 8 kHz (the bridge does G.711 only), 24 kHz PCM otherwise (one
 *   resampling step each way). Caller audio is appended as it arrives; model audio goes to playout as one
 *   utterance per output item.
 * - Barge-in: on the server's `speech_started` (or our VAD, per `bargeIn`) playout is flushed, the active
 *   response cancelled, and the interrupted item truncated to what the caller actually heard according to the
 *   playout buffer, never more than the audio received for it.
 * - Tools: see ToolCallCoordinator (outputs after the parent `response.done`, one run per call id); built-in
 *   hangup/transfer/send_dtmf act on the call.
 * - Faults: a lost connection or a retryable server error opens a new session under the reconnect policy and
 *   replays the instructions, tools and conversation (as text items); a refused key or exhausted quota fails
 *   the agent so the route's fallback happens.
 */
export class RealtimeAgent implements VoiceAgent {
  readonly kind = 'openai-realtime';
  readonly #o: RealtimeAgentOptions;
  readonly #cfg: RealtimeAgentConfig;
  readonly #log: Logger;
  #format: RealtimeAudioFormat;
  #phase: Phase = 'new';
  #call!: CallInfo;
  #output!: AgentOutput;
  #plan!: RealtimeSessionPlan;
  #conn!: RealtimeConnection;
  #turns!: RealtimeTurns;
  #tools!: ToolCallCoordinator;
  readonly #abort = new AbortController();
  readonly #conversation: ConversationLog;
  readonly #responses: ResponseQueue;
  readonly #drain: PlayoutDrain;
  readonly #functionNames = new Map<string, string>();
  #greeting: string | undefined;
  #answered = false;
  #audioSeen = false;
  #greetTimer: NodeJS.Timeout | undefined;
  #callerSpeaking = false;
  /** The warm-transfer summary being spoken: its response id once created, and who waits for its end. */
  #summary: { id: string | undefined; resolve: () => void } | undefined;
  #sessionAudioStartMs = 0;
  #barge!: RealtimeBargeIn;
  readonly #counters = { reconnects: 0, droppedAudioWhileReconnecting: 0 };
  /** Caller frames gathered into `appendMs` chunks for `input_audio_buffer.append`. */
  readonly #uplink: UplinkChunker;

  constructor(options: RealtimeAgentOptions) {
    this.#o = options;
    this.#cfg = options.config;
    this.#log = options.logger;
    this.#format = chooseRealtimeFormat(options.config.audio, options.legFormat);
    // A sideband session has no caller audio here to wait for before the greeting.
    this.#audioSeen = options.sidebandUrl !== undefined;
    const appendMs = options.config.appendMs;
    this.#uplink = new UplinkChunker(isUplinkChunkMs(appendMs) ? appendMs : 20, (chunk) => {
      if (this.#live) this.#conn.appendAudio(chunk);
    });
    this.#conversation = new ConversationLog(options.config.replayItems);
    this.#responses = new ResponseQueue((params) =>
      this.#send(params === undefined ? { type: 'response.create' } : { type: 'response.create', response: params }),
    );
    this.#drain = new PlayoutDrain(
      () => this.#phase === 'closed' || this.#responses.active === undefined,
      options.config.hangupDrainTimeoutMs,
    );
  }

  get inputFormat(): AudioFormat {
    return audioFormatOf(this.#format);
  }

  get outputFormat(): AudioFormat {
    return audioFormatOf(this.#format);
  }

  /** Counters, for tests and metrics. */
  get stats(): {
    reconnects: number;
    droppedAudioWhileReconnecting: number;
    truncations: number;
    cancels: number;
    uplink: UplinkHoldStats;
  } {
    return { ...this.#counters, ...(this.#barge?.stats ?? { truncations: 0, cancels: 0 }), uplink: this.#uplink.stats };
  }

  /** The Realtime format of this call's session. */
  get realtimeFormat(): RealtimeAudioFormat {
    return this.#format;
  }

  get #live(): boolean {
    return this.#phase === 'live';
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    this.#call = call;
    this.#output = output;
    this.#turns = new RealtimeTurns(call.callId, this.#o.transcripts, this.#conversation);
    const tools = this.#o.routeTools ?? [];
    this.#plan = planSession(this.#cfg, call.customParameters, this.#format, tools, call.amdResult);
    this.#greeting = this.#plan.greeting;
    this.#barge = new RealtimeBargeIn({
      output,
      responses: this.#responses,
      turns: this.#turns,
      drain: this.#drain,
      logger: this.#log,
      send: (ev) => this.#send(ev),
      live: () => this.#live,
      nowMs: () => this.#nowMs(),
    });
    this.#tools = new ToolCallCoordinator({
      run: (c, parentDone) =>
        runRealtimeTool(c, parentDone, {
          callId: call.callId,
          builtins: this.#plan.builtins,
          invoker: this.#o.tools,
          signal: this.#abort.signal,
          act: (action) => this.#output.act(action),
          playoutDrained: () => this.#drain.wait(),
        }),
      sendOutput: (callId, out) => this.#sendOutput(callId, out),
      requestResponse: () => this.#responses.request(undefined, this.#live),
      sayFiller: (text) => this.#sayFiller(text),
      fillerFor: (name) => this.#plan.fillers.get(name),
      fillerDelayMs: this.#cfg.fillerDelayMs,
      logger: this.#log,
    });
    const sideband = this.#o.sidebandUrl;
    const url = sideband ?? realtimeUrl(this.#cfg.url, this.#cfg.model);
    this.#conn = new RealtimeConnection({
      url,
      apiKey: this.#o.apiKey,
      auth: this.#cfg.auth ?? defaultAuthScheme(url),
      dialect: this.#cfg.apiVersion,
      callId: call.callId,
      session: sideband === undefined ? this.#plan.body : withoutAudioFormats(this.#plan.body),
      connectTimeoutMs: this.#o.connectTimeoutMs ?? 5000,
      sessionTimeoutMs: this.#cfg.sessionTimeoutMs,
      reconnect: this.#o.reconnect,
      logger: this.#log,
      onEvent: (ev) => this.#onEvent(ev),
      onLost: (close) => {
        this.#log.warn(
          { code: close.code, reason: close.reason, initiator: close.initiator },
          'realtime connection lost',
        );
        this.#reconnect();
      },
    });
    this.#phase = 'opening';
    await this.#conn.open(
      AbortSignal.any([signal, this.#abort.signal]),
      (echo) => this.#accept(echo, false),
      () => this.#nowLive(),
    );
    if (!this.#live) return;
    this.#responses.flush(true);
    this.#log.info(
      { format: this.#format.type, url: new URL(url).host, dialect: this.#cfg.apiVersion },
      'realtime session ready',
    );
  }

  sendAudio(chunk: Buffer): void {
    if (!this.#audioSeen) {
      this.#audioSeen = true;
      this.#maybeGreet();
    }
    if (this.#live) this.#uplink.push(chunk);
    else if (this.#phase === 'reconnecting') this.#counters.droppedAudioWhileReconnecting += 1;
  }

  notify(notice: CallNotice): void {
    if (this.#phase === 'new' || this.#phase === 'closed') return;
    const now = this.#nowMs();
    switch (notice.type) {
      case 'answer':
        this.#answered = true;
        this.#maybeGreet();
        if (this.#greeting !== undefined) {
          this.#greetTimer = setTimeout(() => {
            this.#audioSeen = true;
            this.#maybeGreet();
          }, GREETING_AUDIO_WAIT_MS);
        }
        return;
      case 'speaking':
        // The server gets the caller's audio up to this moment now, not when the chunk fills.
        this.#uplink.flush();
        if (this.#cfg.bargeIn === 'local' || this.#cfg.bargeIn === 'both') this.#barge.bargeIn('local');
        return;
      case 'utteranceStart':
        this.#turns.playStarted(notice.utteranceId, now);
        return;
      case 'utteranceEnd':
        this.#turns.playEnded(notice.utteranceId, now, notice.playedMs);
        return;
      case 'interruption':
        this.#barge.interrupted(notice.utteranceId, notice.playedMs);
        return;
      case 'playoutDrained':
        this.#drain.drained();
        return;
      case 'dtmf':
        this.#log.debug({ digit: notice.digit }, 'DTMF on a realtime call (not forwarded to the model)');
        return;
      case 'silence':
      case 'mark':
      case 'markCleared':
      case 'transfer': // a warm_transfer tool call's output tells the model how it went
        return;
      case 'error':
        this.#log.warn({ code: notice.code, detail: notice.message }, 'call reported an error to the agent');
        return;
      default:
        assertNever(notice, 'call notice');
    }
  }

  /**
   * A message from the control plane: given to the model as a system message, which then answers it. With
   * `interrupt`, what the model is saying is cut first (as a barge-in).
   */
  /**
   * A warm transfer's summary, spoken to the person who answered (only they hear the agent now): an out-of-band
   * response (the conversation is untouched, no tools). Resolves once its audio has been played.
   */
  async speakToTransferTarget(text: string, signal: AbortSignal): Promise<void> {
    if (!this.#live)
      throw new AppError('the realtime session is not live', { code: 'AGENT_NOT_READY', category: 'server' });
    const modalities: RealtimeResponseParams =
      this.#cfg.apiVersion === 'ga' ? { output_modalities: ['audio'] } : { modalities: ['audio', 'text'] };
    const spoken = new Promise<void>((resolve) => {
      this.#summary = { id: undefined, resolve };
      // Cut short (the person declined or hung up, the call ends): stop the summary where it is.
      signal.addEventListener(
        'abort',
        () => {
          if (this.#summary) this.#barge.bargeIn('control');
          resolve();
        },
        { once: true },
      );
    });
    this.#responses.request(
      {
        conversation: 'none',
        instructions: `You are handing the caller over to a colleague, who has just answered and hears you now; the caller does not. Tell the colleague briefly, in your own words, then stop: ${text}`,
        ...modalities,
        tool_choice: 'none',
        metadata: { purpose: SUMMARY_PURPOSE },
      },
      this.#live,
    );
    await spoken;
    this.#summary = undefined;
    if (!signal.aborted) await this.#drain.wait();
  }

  sendMessage(text: string, options: { interrupt: boolean }): void {
    if (this.#phase === 'new' || this.#phase === 'closed') return;
    if (options.interrupt) this.#barge.bargeIn('control');
    this.#conversation.systemText(text);
    this.#send({ type: 'conversation.item.create', item: systemTextItem(text) });
    this.#responses.request(undefined, this.#live);
  }

  async close(_reason: CloseReason, _initiator: HangupInitiator): Promise<void> {
    if (this.#phase === 'closed') return;
    // The caller's last partial chunk is sent, not lost.
    this.#uplink.flush();
    const { chunks, holdMsTotal, holdMsMax } = this.#uplink.stats;
    if (chunks > 0) {
      this.#log.debug(
        { appendMs: this.#uplink.chunkMs, chunks, holdMsMean: holdMsTotal / chunks, holdMsMax },
        'caller audio appended',
      );
    }
    const started = this.#phase !== 'new';
    this.#phase = 'closed';
    clearTimeout(this.#greetTimer);
    this.#abort.abort();
    this.#drain.releaseAll();
    if (!started) return;
    await this.#tools.close();
    this.#turns.flush(this.#nowMs(), (id) => this.#output.playedMs(id));
    await this.#conn.close();
  }

  /** Asks for the AI-first greeting once, when the call is answered and caller audio flows. */
  #maybeGreet(): void {
    if (!this.#answered || !this.#audioSeen || this.#greeting === undefined) return;
    clearTimeout(this.#greetTimer);
    const instructions = this.#greeting;
    this.#greeting = undefined;
    this.#responses.request({ instructions }, this.#live);
  }

  /** A server that confirms another format: adopted at start (the bridge converts), refused on a reconnect. */
  #accept(echo: SessionEcho, reconnecting: boolean): void {
    if (this.#o.sidebandUrl !== undefined) return;
    const confirmed = echo.outputFormat;
    if (confirmed === undefined || realtimeFormatsEqual(confirmed, this.#format)) return;
    if (!reconnecting && echo.inputFormat !== undefined && realtimeFormatsEqual(echo.inputFormat, confirmed)) {
      this.#log.warn(
        { asked: this.#format.type, confirmed: confirmed.type },
        'realtime server chose another audio format',
      );
      this.#format = confirmed;
      return;
    }
    throw new AppError(`the realtime server confirmed ${confirmed.type}, not ${this.#format.type}`, {
      code: 'REALTIME_FORMAT_MISMATCH',
      category: 'protocol',
      retryable: false,
    });
  }

  #nowLive(): void {
    this.#phase = 'live';
    this.#sessionAudioStartMs = this.#nowMs();
  }

  // --- server events -----------------------------------------------------------------------------------------

  #onEvent(ev: RealtimeKnownServerEvent): void {
    if (this.#phase === 'closed') return;
    switch (ev.type) {
      case 'response.output_audio.delta':
        this.#onAudioDelta(ev);
        return;
      case 'response.output_audio.done':
        this.#turns.audioDone(ev.item_id);
        this.#output.endUtterance(ev.item_id);
        return;
      case 'response.output_audio_transcript.delta':
        this.#turns.transcriptDelta(ev.item_id, ev.delta);
        return;
      case 'response.output_audio_transcript.done':
        this.#turns.transcriptDone(ev.item_id, ev.transcript);
        return;
      case 'response.output_text.done':
        this.#turns.modelItem(ev.item_id, ev.response_id, !this.#responses.isFiller(ev.response_id));
        this.#turns.transcriptDone(ev.item_id, ev.text);
        return;
      case 'response.output_item.added':
        if (ev.item.type === 'message' && ev.item.id)
          this.#turns.modelItem(ev.item.id, ev.response_id, !this.#responses.isFiller(ev.response_id));
        if (ev.item.type === 'function_call' && ev.item.id && ev.item.name)
          this.#functionNames.set(ev.item.id, ev.item.name);
        return;
      case 'response.output_item.done':
        if (ev.item.type === 'function_call') this.#functionCallItem(ev.response_id, ev.item);
        else if (ev.item.type === 'message' && ev.item.id) this.#output.endUtterance(ev.item.id);
        return;
      case 'response.function_call_arguments.done': {
        const name = ev.name ?? this.#functionNames.get(ev.item_id);
        if (name !== undefined)
          this.#onFunctionCall({ responseId: ev.response_id, callId: ev.call_id, name, arguments: ev.arguments });
        return;
      }
      case 'response.created':
        this.#responses.created(ev.response.id, ev.response.metadata?.purpose === FILLER_PURPOSE);
        if (this.#summary && ev.response.metadata?.purpose === SUMMARY_PURPOSE) this.#summary.id = ev.response.id;
        return;
      case 'response.done':
        this.#onResponseDone(ev);
        return;
      case 'input_audio_buffer.speech_started':
        this.#callerSpeaking = true;
        this.#turns.speechStarted(ev.item_id, Math.round(this.#sessionAudioStartMs + ev.audio_start_ms));
        if ((this.#cfg.bargeIn === 'server' || this.#cfg.bargeIn === 'both') && this.#plan.interruptOnServerSpeech)
          this.#barge.bargeIn('server');
        return;
      case 'input_audio_buffer.speech_stopped':
        this.#callerSpeaking = false;
        this.#turns.speechStopped(ev.item_id, Math.round(this.#sessionAudioStartMs + ev.audio_end_ms));
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.#turns.callerTranscript(ev.item_id, ev.transcript);
        return;
      case 'conversation.item.input_audio_transcription.failed':
        this.#log.warn({ itemId: ev.item_id, error: ev.error }, 'caller transcription failed');
        return;
      case 'conversation.item.truncated':
        this.#log.debug({ itemId: ev.item_id, audioEndMs: ev.audio_end_ms }, 'realtime item truncated');
        return;
      case 'error':
        handleRealtimeError(ev.error, this.#log, {
          reconnect: () => this.#reconnect(),
          fail: (err) => this.#fail(err),
          retryResponseLater: () => this.#responses.refusedAsBusy(),
        });
        return;
      case 'rate_limits.updated':
        logRateLimits(ev, this.#log);
        return;
      case 'session.created':
      case 'session.updated':
      case 'input_audio_buffer.committed':
      case 'conversation.item.added':
      case 'conversation.item.done':
      case 'conversation.item.input_audio_transcription.delta':
        return;
      default:
        assertNever(ev, 'realtime server event');
    }
  }

  #onAudioDelta(ev: ServerEventOf<'response.output_audio.delta'>): void {
    if (this.#responses.isCancelled(ev.response_id)) return;
    const item = this.#turns.modelItem(ev.item_id, ev.response_id, !this.#responses.isFiller(ev.response_id));
    if (item.discard) return;
    const audio = Buffer.from(ev.delta, 'base64');
    if (audio.length === 0) return;
    item.receivedMs += realtimeAudioMs(this.#format, audio.length);
    this.#drain.queued();
    this.#output.audio(audio, { utteranceId: ev.item_id });
  }

  #onResponseDone(ev: ServerEventOf<'response.done'>): void {
    const id = ev.response.id;
    for (const item of ev.response.output ?? []) {
      if (item.type === 'function_call') this.#functionCallItem(id, item);
      else if (item.id) this.#output.endUtterance(item.id);
    }
    this.#responses.done(id);
    if (this.#summary?.id === id) this.#summary.resolve();
    this.#turns.responseDone(id);
    this.#tools.onResponseDone(id);
    const status = ev.response.status;
    if (status !== undefined && status !== 'completed')
      this.#log.debug({ responseId: id, status, details: ev.response.status_details }, 'response ended early');
    this.#responses.flush(this.#live);
    this.#drain.check();
  }

  #functionCallItem(responseId: string, item: RealtimeServerItem): void {
    if (item.call_id === undefined || item.name === undefined) return;
    this.#onFunctionCall({ responseId, callId: item.call_id, name: item.name, arguments: item.arguments ?? '{}' });
  }

  #onFunctionCall(info: FunctionCallInfo): void {
    if (this.#tools.onFunctionCall(info)) this.#conversation.functionCall(info.callId, info.name, info.arguments);
  }

  // --- responses and tools -----------------------------------------------------------------------------------

  #sayFiller(text: string): void {
    if (this.#callerSpeaking) return;
    const modalities: RealtimeResponseParams =
      this.#cfg.apiVersion === 'ga' ? { output_modalities: ['audio'] } : { modalities: ['audio', 'text'] };
    this.#responses.requestIfIdle(
      {
        conversation: 'none',
        instructions: `Say exactly this, and nothing else: "${text}"`,
        ...modalities,
        tool_choice: 'none',
        metadata: { purpose: FILLER_PURPOSE },
      },
      this.#live,
    );
  }

  #sendOutput(callId: string, output: string): boolean {
    if (!this.#live || !this.#conn.live) return false;
    this.#send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
    this.#conversation.functionOutput(callId, output);
    return true;
  }

  // --- faults ------------------------------------------------------------------------------------------------

  /** Opens a new session and replays the conversation; the caller hears silence meanwhile. */
  #reconnect(): void {
    if (!this.#live) return;
    this.#phase = 'reconnecting';
    this.#counters.reconnects += 1;
    this.#conn.abandon('reconnecting');
    this.#counters.droppedAudioWhileReconnecting += this.#uplink.drop() / FRAME_MS;
    const inFlight = this.#responses.reset();
    this.#callerSpeaking = false;
    if (inFlight !== undefined) for (const item of this.#turns.itemsOf(inFlight)) this.#output.endUtterance(item.id);
    this.#turns.connectionLost();
    this.#drain.check();
    this.#conn
      .open(
        this.#abort.signal,
        (echo) => this.#accept(echo, true),
        () => this.#replay(),
      )
      .then(
        () => undefined,
        (err: unknown) => {
          if (this.#phase === 'closed') return;
          this.#fail(
            err instanceof AppError
              ? err
              : new AppError('realtime reconnect failed', {
                  code: 'REALTIME_DISCONNECTED',
                  category: 'connectivity',
                  cause: err,
                }),
          );
        },
      );
  }

  /**
   * The new session is in place (its events not flowing yet): the conversation is given to it before anything
   * else, so the outputs of pending tool calls find their calls, then waiting outputs and responses go out.
   */
  #replay(): void {
    this.#nowLive();
    // A sideband rejoins the session the server kept: its conversation is there already.
    const items = this.#o.sidebandUrl === undefined ? this.#conversation.replayItems(this.#cfg.apiVersion) : [];
    for (const item of items) this.#send({ type: 'conversation.item.create', item });
    this.#log.info({ replayedItems: items.length }, 'realtime session reopened; conversation replayed');
    this.#tools.onReplayed();
    this.#responses.flush(true);
  }

  #fail(error: AppError): void {
    if (this.#phase === 'closed') return;
    this.#output.fail(error);
  }

  #send(event: RealtimeClientEvent): void {
    if (this.#phase !== 'closed') this.#conn?.send(event);
  }

  #nowMs(): number {
    return this.#call ? Date.now() - this.#call.startedAt.getTime() : 0;
  }
}
