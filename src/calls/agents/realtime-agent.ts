import type { AudioFormat } from '../../audio/format.js';
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
import { classifyRealtimeError } from '../../protocols/realtime/error-classes.js';
import {
  parseRealtimeServerEvent,
  type RealtimeErrorBody,
  type RealtimeKnownServerEvent,
  type ServerEventOf,
} from '../../protocols/realtime/server-events.js';
import type { ReconnectPolicy } from '../../transports/agent-ws/reconnect-policy.js';
import { runWithReconnect } from '../../transports/agent-ws/reconnect-policy.js';
import { defaultAuthScheme, realtimeUrl } from '../../transports/realtime/connect-realtime-socket.js';
import type { RealtimeSocket, RealtimeSocketClose } from '../../transports/realtime/realtime-socket.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';
import { runBuiltinTool } from './realtime-builtin-tools.js';
import { ConversationLog } from './realtime-conversation.js';
import {
  type BuiltinToolSpec,
  builtinToolSpecs,
  callOverrides,
  chooseRealtimeFormat,
  encodeValidatedSession,
  mergeSessionConfig,
  REALTIME_SESSION_DEFAULTS,
  type RouteFunctionTool,
  sessionSettingsOf,
} from './realtime-session-config.js';
import { type OpenedRealtimeSession, openRealtimeSession } from './realtime-session-open.js';
import { type FunctionCallInfo, type FunctionCallOutcome, ToolCallCoordinator } from './realtime-tool-calls.js';
import { type ToolInvoker, toolOutputText } from './realtime-tool-invoker.js';
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
  readonly reconnect: ReconnectPolicy;
  /** Upper bound for one connect (TCP + TLS + upgrade). Default 5000 ms. */
  readonly connectTimeoutMs?: number;
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
const FILLER_METADATA = { purpose: 'filler' } as const;

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
  #socket: RealtimeSocket | undefined;
  #sessionBody: Record<string, unknown> = {};
  #greeting: string | undefined;
  #answered = false;
  #audioSeen = false;
  #greetTimer: NodeJS.Timeout | undefined;
  #interruptOnServerSpeech = true;
  #builtins = new Map<string, BuiltinToolSpec>();
  #fillers = new Map<string, string>();
  readonly #abort = new AbortController();
  #conversation: ConversationLog;
  #turns!: RealtimeTurns;
  #tools!: ToolCallCoordinator;
  #activeResponse: string | undefined;
  #responseRequested = false;
  #pendingCreate: RealtimeResponseParams | undefined;
  #lastCreate: RealtimeResponseParams | undefined;
  readonly #cancelled = new Set<string>();
  readonly #fillerResponses = new Set<string>();
  readonly #functionNames = new Map<string, string>();
  #callerSpeaking = false;
  #sessionAudioStartMs = 0;
  #playoutBusy = false;
  readonly #drainWaiters = new Set<() => void>();
  /** Counters, for tests and metrics. */
  readonly stats = { reconnects: 0, truncations: 0, cancels: 0, droppedAudioWhileReconnecting: 0 };

  constructor(options: RealtimeAgentOptions) {
    this.#o = options;
    this.#cfg = options.config;
    this.#log = options.logger;
    this.#format = chooseRealtimeFormat(options.config.audio, options.legFormat);
    this.#conversation = new ConversationLog(options.config.replayItems);
  }

  get inputFormat(): AudioFormat {
    return audioFormatOf(this.#format);
  }

  get outputFormat(): AudioFormat {
    return audioFormatOf(this.#format);
  }

  /** The Realtime format of this call's session. */
  get realtimeFormat(): RealtimeAudioFormat {
    return this.#format;
  }

  get #closed(): boolean {
    return this.#phase === 'closed';
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    this.#call = call;
    this.#output = output;
    this.#turns = new RealtimeTurns(call.callId, this.#o.transcripts, this.#conversation);
    this.#prepareSession(call);
    this.#phase = 'opening';
    const opened = await this.#open(AbortSignal.any([signal, this.#abort.signal]), false);
    if (this.#closed) {
      await opened.socket.close(1000, 'call ended');
      return;
    }
    this.#attach(opened);
    this.#log.info(
      { format: this.#format.type, url: new URL(this.#cfg.url).host, dialect: this.#cfg.apiVersion },
      'realtime session ready',
    );
  }

  sendAudio(chunk: Buffer): void {
    if (!this.#audioSeen) {
      this.#audioSeen = true;
      this.#maybeGreet();
    }
    if (this.#phase === 'live') this.#socket?.appendAudio(chunk);
    else if (this.#phase === 'reconnecting') this.stats.droppedAudioWhileReconnecting += 1;
  }

  notify(notice: CallNotice): void {
    if (this.#phase === 'new' || this.#phase === 'closed') return;
    const now = this.#nowMs();
    switch (notice.type) {
      case 'answer':
        this.#answered = true;
        this.#maybeGreet();
        if (this.#greeting !== undefined && !this.#audioSeen) {
          this.#greetTimer = setTimeout(() => {
            this.#audioSeen = true;
            this.#maybeGreet();
          }, GREETING_AUDIO_WAIT_MS);
        }
        return;
      case 'speaking':
        if (this.#cfg.bargeIn === 'local' || this.#cfg.bargeIn === 'both') this.#bargeIn('local');
        return;
      case 'utteranceStart':
        this.#turns.playStarted(notice.utteranceId, now);
        return;
      case 'utteranceEnd':
        this.#turns.playEnded(notice.utteranceId, now, notice.playedMs);
        return;
      case 'interruption':
        this.#onInterruption(notice.utteranceId, notice.playedMs);
        return;
      case 'playoutDrained':
        this.#playoutBusy = false;
        this.#checkDrained();
        return;
      case 'dtmf':
        this.#log.debug({ digit: notice.digit }, 'DTMF on a realtime call (not forwarded to the model)');
        return;
      case 'silence':
      case 'mark':
      case 'markCleared':
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
  sendMessage(text: string, options: { interrupt: boolean }): void {
    if (this.#phase === 'new' || this.#phase === 'closed') return;
    if (options.interrupt) this.#bargeIn('control');
    this.#conversation.systemText(text);
    this.#send({ type: 'conversation.item.create', item: systemTextItem(text) });
    this.#requestResponse(undefined);
  }

  async close(_reason: CloseReason, _initiator: HangupInitiator): Promise<void> {
    if (this.#phase === 'closed') return;
    clearTimeout(this.#greetTimer);
    const wasStarted = this.#phase !== 'new';
    this.#phase = 'closed';
    this.#abort.abort();
    if (wasStarted) {
      this.#tools?.close();
      this.#turns?.flush(this.#nowMs());
    }
    for (const w of this.#drainWaiters) w();
    this.#drainWaiters.clear();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await socket.close(1000, 'call ended');
  }

  /** Asks for the AI-first greeting once, when the call is answered and caller audio flows. */
  #maybeGreet(): void {
    if (!this.#answered || !this.#audioSeen || this.#greeting === undefined) return;
    clearTimeout(this.#greetTimer);
    const instructions = this.#greeting;
    this.#greeting = undefined;
    this.#requestResponse({ instructions });
  }

  // --- session set-up ---------------------------------------------------------------------------------------

  #prepareSession(call: CallInfo): void {
    const overrides = callOverrides(call.customParameters);
    const merged = mergeSessionConfig(REALTIME_SESSION_DEFAULTS, this.#cfg.session, overrides.session);
    const builtins = builtinToolSpecs(this.#cfg.builtinTools);
    for (const b of builtins) this.#builtins.set(b.name, b);
    for (const [name, text] of Object.entries(this.#cfg.fillers)) this.#fillers.set(name, text);
    this.#interruptOnServerSpeech =
      merged.turnDetection?.type === 'none' ? false : merged.turnDetection?.interruptResponse !== false;
    const settings = sessionSettingsOf(merged, this.#format, builtins, this.#o.routeTools ?? []);
    this.#sessionBody = encodeValidatedSession(this.#cfg.apiVersion, settings).session;
    const greeting = overrides.greeting === null ? undefined : (overrides.greeting ?? this.#cfg.greeting);
    this.#greeting =
      greeting === undefined ? undefined : merged.instructions ? `${merged.instructions}\n\n${greeting}` : greeting;
    this.#tools = new ToolCallCoordinator({
      run: (c, parentDone) => this.#runTool(c, parentDone),
      sendOutput: (callId, out) => this.#sendOutput(callId, out),
      requestResponse: () => this.#requestResponse(undefined),
      sayFiller: (text) => this.#sayFiller(text),
      fillerFor: (name) => this.#fillers.get(name),
      fillerDelayMs: this.#cfg.fillerDelayMs,
      logger: this.#log,
    });
  }

  #open(signal: AbortSignal, reconnecting: boolean): Promise<OpenedRealtimeSession> {
    const url = realtimeUrl(this.#cfg.url, this.#cfg.model);
    return runWithReconnect(
      () =>
        openRealtimeSession({
          url,
          apiKey: this.#o.apiKey,
          auth: this.#cfg.auth ?? defaultAuthScheme(url),
          dialect: this.#cfg.apiVersion,
          callId: this.#call.callId,
          session: this.#sessionBody,
          connectTimeoutMs: this.#o.connectTimeoutMs ?? 5000,
          sessionTimeoutMs: this.#cfg.sessionTimeoutMs,
          signal,
          logger: this.#log,
        }).then((opened) => this.#checkEcho(opened, reconnecting)),
      {
        policy: this.#o.reconnect,
        signal,
        onRetry: (info) =>
          this.#log.warn(
            { attempt: info.attempt, delayMs: info.delayMs, code: (info.error as { code?: string }).code },
            'realtime session could not be opened; retrying',
          ),
      },
    );
  }

  /** A server that confirms another format: adopted at start (the bridge converts), refused on a reconnect. */
  async #checkEcho(opened: OpenedRealtimeSession, reconnecting: boolean): Promise<OpenedRealtimeSession> {
    const confirmed = opened.echo.outputFormat;
    if (confirmed === undefined || realtimeFormatsEqual(confirmed, this.#format)) return opened;
    if (
      !reconnecting &&
      opened.echo.inputFormat !== undefined &&
      realtimeFormatsEqual(opened.echo.inputFormat, confirmed)
    ) {
      this.#log.warn(
        { asked: this.#format.type, confirmed: confirmed.type },
        'realtime server chose another audio format',
      );
      this.#format = confirmed;
      return opened;
    }
    await opened.socket.close(1000, 'format mismatch');
    throw new AppError(`the realtime server confirmed ${confirmed.type}, not ${this.#format.type}`, {
      code: 'REALTIME_FORMAT_MISMATCH',
      category: 'protocol',
      retryable: false,
    });
  }

  #attach(opened: OpenedRealtimeSession): void {
    const socket = opened.socket;
    this.#socket = socket;
    this.#phase = 'live';
    this.#sessionAudioStartMs = this.#nowMs();
    socket.on('close', (info) => this.#onSocketClose(socket, info));
    socket.on('error', (err) => this.#log.debug({ err: err.toJSON() }, 'realtime socket error'));
    opened.takeOver((text) => this.#onText(socket, text));
  }

  // --- server events -----------------------------------------------------------------------------------------

  #onText(socket: RealtimeSocket, text: string): void {
    if (socket !== this.#socket || this.#phase !== 'live') return;
    const parsed = parseRealtimeServerEvent(text);
    if (!parsed.ok) {
      this.#log.warn({ code: parsed.code, detail: parsed.message }, 'realtime server sent an unreadable event');
      return;
    }
    const ev = parsed.event;
    if (ev.type === 'other') return;
    this.#onEvent(ev);
  }

  #onEvent(ev: RealtimeKnownServerEvent): void {
    switch (ev.type) {
      case 'response.output_audio.delta':
        this.#onAudioDelta(ev);
        return;
      case 'response.output_audio.done':
        this.#output.endUtterance(ev.item_id);
        return;
      case 'response.output_audio_transcript.delta':
        this.#turns.transcriptDelta(ev.item_id, ev.delta);
        return;
      case 'response.output_audio_transcript.done':
        this.#turns.transcriptDone(ev.item_id, ev.transcript);
        return;
      case 'response.output_text.done':
        this.#turns.modelItem(ev.item_id, ev.response_id, !this.#fillerResponses.has(ev.response_id));
        this.#turns.transcriptDone(ev.item_id, ev.text);
        return;
      case 'response.output_item.added':
        if (ev.item.type === 'message' && ev.item.id)
          this.#turns.modelItem(ev.item.id, ev.response_id, !this.#fillerResponses.has(ev.response_id));
        if (ev.item.type === 'function_call' && ev.item.id && ev.item.name)
          this.#functionNames.set(ev.item.id, ev.item.name);
        return;
      case 'response.output_item.done':
        if (ev.item.type === 'function_call') this.#functionCallItem(ev.response_id, ev.item);
        else if (ev.item.type === 'message' && ev.item.id) this.#output.endUtterance(ev.item.id);
        return;
      case 'response.function_call_arguments.done': {
        const name = ev.name ?? this.#functionNames.get(ev.item_id);
        if (name === undefined) {
          this.#log.warn({ toolCallId: ev.call_id }, 'function call without a name; waiting for its item');
          return;
        }
        this.#onFunctionCall({ responseId: ev.response_id, callId: ev.call_id, name, arguments: ev.arguments });
        return;
      }
      case 'response.created':
        this.#activeResponse = ev.response.id;
        this.#responseRequested = false;
        if (ev.response.metadata?.purpose === FILLER_METADATA.purpose) this.#fillerResponses.add(ev.response.id);
        return;
      case 'response.done':
        this.#onResponseDone(ev);
        return;
      case 'input_audio_buffer.speech_started':
        this.#callerSpeaking = true;
        this.#turns.speechStarted(ev.item_id, Math.round(this.#sessionAudioStartMs + ev.audio_start_ms));
        if ((this.#cfg.bargeIn === 'server' || this.#cfg.bargeIn === 'both') && this.#interruptOnServerSpeech)
          this.#bargeIn('server');
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
        this.#onServerError(ev.error);
        return;
      case 'rate_limits.updated':
        this.#onRateLimits(ev);
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
    if (this.#cancelled.has(ev.response_id)) return;
    const item = this.#turns.modelItem(ev.item_id, ev.response_id, !this.#fillerResponses.has(ev.response_id));
    if (item.discard) return;
    const audio = Buffer.from(ev.delta, 'base64');
    if (audio.length === 0) return;
    item.receivedMs += realtimeAudioMs(this.#format, audio.length);
    this.#playoutBusy = true;
    this.#output.audio(audio, { utteranceId: ev.item_id });
  }

  #onResponseDone(ev: ServerEventOf<'response.done'>): void {
    const id = ev.response.id;
    for (const item of ev.response.output ?? []) {
      if (item.type === 'function_call') this.#functionCallItem(id, item);
      else if (item.id) this.#output.endUtterance(item.id);
    }
    if (this.#activeResponse === id) this.#activeResponse = undefined;
    this.#cancelled.delete(id);
    this.#fillerResponses.delete(id);
    this.#turns.responseDone(id);
    this.#tools.onResponseDone(id);
    const status = ev.response.status;
    if (status !== undefined && status !== 'completed') {
      this.#log.debug({ responseId: id, status, details: ev.response.status_details }, 'response ended early');
    }
    this.#sendPendingCreate();
    this.#checkDrained();
  }

  #functionCallItem(
    responseId: string,
    item: { call_id?: string | undefined; name?: string | undefined; arguments?: string | undefined },
  ): void {
    if (item.call_id === undefined || item.name === undefined) return;
    this.#onFunctionCall({ responseId, callId: item.call_id, name: item.name, arguments: item.arguments ?? '{}' });
  }

  #onFunctionCall(info: FunctionCallInfo): void {
    if (this.#tools.onFunctionCall(info)) this.#conversation.functionCall(info.callId, info.name, info.arguments);
  }

  #onServerError(error: RealtimeErrorBody): void {
    const cls = classifyRealtimeError(error);
    const details = { errorType: error.type, errorCode: error.code ?? null, detail: error.message, param: error.param };
    switch (cls.disposition) {
      case 'benign':
        this.#log.debug(details, 'realtime server: benign error');
        return;
      case 'report':
        this.#log.warn(details, 'realtime server refused a request');
        if (error.code === 'conversation_already_has_active_response' && this.#lastCreate !== undefined) {
          this.#pendingCreate ??= this.#lastCreate;
        }
        return;
      case 'reconnect':
        this.#log.warn(details, 'realtime server error; opening a new session');
        this.#reconnect();
        return;
      case 'fatal':
        this.#log.error(details, 'realtime server error; the agent cannot continue');
        this.#fail(
          new AppError(`realtime server: ${error.message}`, { code: cls.code, category: cls.category, details }),
        );
        return;
      default:
        assertNever(cls.disposition, 'error disposition');
    }
  }

  #onRateLimits(ev: ServerEventOf<'rate_limits.updated'>): void {
    const low = ev.rate_limits.filter(
      (r) => r.limit !== undefined && r.remaining !== undefined && r.limit > 0 && r.remaining / r.limit < 0.1,
    );
    if (low.length > 0) this.#log.warn({ rateLimits: ev.rate_limits }, 'realtime rate limits nearly used up');
    else this.#log.debug({ rateLimits: ev.rate_limits }, 'realtime rate limits');
  }

  // --- barge-in ----------------------------------------------------------------------------------------------

  /** The caller spoke: flush playout (the bridge reports each cut utterance as `interruption`), stop the model. */
  #bargeIn(source: 'server' | 'local' | 'control'): void {
    const result = this.#output.interrupt();
    this.#playoutBusy = false;
    if (result.utterances.length > 0) this.#log.info({ source, droppedMs: result.droppedMs }, 'barge-in');
    this.#cancelActive();
    this.#checkDrained();
  }

  #cancelActive(): void {
    const id = this.#activeResponse;
    if (id === undefined || this.#cancelled.has(id)) return;
    this.#cancelled.add(id);
    for (const item of this.#turns.itemsOf(id)) item.discard = true;
    this.stats.cancels += 1;
    this.#send({ type: 'response.cancel' });
  }

  /** Playout of a model item was flushed after `playedMs`: cut it there in the server's conversation too. */
  #onInterruption(utteranceId: string, playedMs: number): void {
    const item = this.#turns.model(utteranceId);
    if (!item) return;
    this.#turns.interrupted(utteranceId, this.#nowMs(), playedMs);
    this.#playoutBusy = false;
    if (item.responseId === this.#activeResponse) this.#cancelActive();
    if (!item.inConversation || item.truncated || this.#phase !== 'live') return;
    item.truncated = true;
    const audioEndMs = Math.max(0, Math.floor(Math.min(playedMs, item.receivedMs)));
    this.stats.truncations += 1;
    this.#log.info(
      { itemId: item.id, audioEndMs, receivedMs: Math.round(item.receivedMs) },
      'truncating interrupted item',
    );
    this.#send({ type: 'conversation.item.truncate', item_id: item.id, content_index: 0, audio_end_ms: audioEndMs });
  }

  // --- responses and tools -----------------------------------------------------------------------------------

  #requestResponse(params: RealtimeResponseParams | undefined): void {
    if (this.#phase !== 'live' || this.#activeResponse !== undefined || this.#responseRequested) {
      this.#pendingCreate = { ...this.#pendingCreate, ...params };
      return;
    }
    this.#createResponse(params);
  }

  #createResponse(params: RealtimeResponseParams | undefined): void {
    this.#responseRequested = true;
    this.#lastCreate = params ?? {};
    this.#send(params === undefined ? { type: 'response.create' } : { type: 'response.create', response: params });
  }

  #sendPendingCreate(): void {
    const pending = this.#pendingCreate;
    if (
      pending === undefined ||
      this.#phase !== 'live' ||
      this.#activeResponse !== undefined ||
      this.#responseRequested
    )
      return;
    this.#pendingCreate = undefined;
    this.#createResponse(Object.keys(pending).length > 0 ? pending : undefined);
  }

  #sayFiller(text: string): void {
    if (this.#phase !== 'live' || this.#activeResponse !== undefined || this.#responseRequested || this.#callerSpeaking)
      return;
    const modalities =
      this.#cfg.apiVersion === 'ga'
        ? { output_modalities: ['audio' as const] }
        : { modalities: ['audio' as const, 'text' as const] };
    this.#createResponse({
      conversation: 'none',
      instructions: `Say exactly this, and nothing else: "${text}"`,
      ...modalities,
      tool_choice: 'none',
      metadata: { ...FILLER_METADATA },
    });
  }

  #sendOutput(callId: string, output: string): boolean {
    if (this.#phase !== 'live' || !this.#socket?.isOpen) return false;
    this.#send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
    this.#conversation.functionOutput(callId, output);
    return true;
  }

  async #runTool(call: FunctionCallInfo, parentDone: Promise<void>): Promise<FunctionCallOutcome> {
    const builtin = this.#builtins.get(call.name);
    if (builtin) {
      return runBuiltinTool(builtin, call.arguments, {
        act: (action) => this.#output.act(action),
        parentDone,
        playoutDrained: () => this.#whenDrained(),
      });
    }
    let args: unknown;
    try {
      args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (err) {
      return {
        output: toolOutputText({
          status: 'failed',
          error: { code: 'TOOL_INVALID_ARGUMENTS', message: `arguments are not JSON: ${(err as Error).message}` },
        }),
        respond: true,
      };
    }
    try {
      const result = await this.#o.tools.invoke(this.#call.callId, call.callId, call.name, args, this.#abort.signal);
      return { output: toolOutputText(result), respond: true };
    } catch (err) {
      return {
        output: toolOutputText({
          status: 'failed',
          error: { code: 'TOOL_UNAVAILABLE', message: err instanceof Error ? err.message : String(err) },
        }),
        respond: true,
      };
    }
  }

  /** Resolves once nothing of the model is playing or being produced, or after `hangupDrainTimeoutMs`. */
  #whenDrained(): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#drainWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.#cfg.hangupDrainTimeoutMs);
      this.#drainWaiters.add(done);
    });
  }

  #isDrained(): boolean {
    return this.#phase === 'closed' || (!this.#playoutBusy && this.#activeResponse === undefined);
  }

  #checkDrained(): void {
    if (!this.#isDrained()) return;
    for (const w of [...this.#drainWaiters]) w();
  }

  // --- faults ------------------------------------------------------------------------------------------------

  #onSocketClose(socket: RealtimeSocket, info: RealtimeSocketClose): void {
    if (socket !== this.#socket || this.#phase !== 'live' || info.initiator === 'client') return;
    this.#log.warn({ code: info.code, reason: info.reason, initiator: info.initiator }, 'realtime connection lost');
    this.#reconnect();
  }

  /** Opens a new session and replays the conversation; the caller hears silence meanwhile. */
  #reconnect(): void {
    if (this.#phase !== 'live') return;
    this.#phase = 'reconnecting';
    this.stats.reconnects += 1;
    const old = this.#socket;
    this.#socket = undefined;
    if (old) void old.close(4000, 'reconnecting');
    const inFlight = this.#activeResponse;
    this.#activeResponse = undefined;
    this.#responseRequested = false;
    this.#callerSpeaking = false;
    this.#cancelled.clear();
    this.#fillerResponses.clear();
    if (inFlight !== undefined) for (const item of this.#turns.itemsOf(inFlight)) this.#output.endUtterance(item.id);
    this.#turns.connectionLost();
    this.#open(this.#abort.signal, true).then(
      (opened) => {
        if (this.#phase === 'closed') {
          void opened.socket.close(1000, 'call ended');
          return;
        }
        this.#attach(opened);
        const items = this.#conversation.replayItems(this.#cfg.apiVersion);
        for (const item of items) this.#send({ type: 'conversation.item.create', item });
        this.#log.info({ replayedItems: items.length }, 'realtime session reopened; conversation replayed');
        this.#tools.onReplayed();
        this.#sendPendingCreate();
      },
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

  #fail(error: AppError): void {
    if (this.#phase === 'closed') return;
    this.#output.fail(error);
  }

  #send(event: RealtimeClientEvent): void {
    if (this.#phase === 'closed') return;
    this.#socket?.send(event);
  }

  #nowMs(): number {
    return this.#call ? Date.now() - this.#call.startedAt.getTime() : 0;
  }
}
