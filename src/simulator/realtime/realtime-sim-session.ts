// Over 400 lines: one simulated Realtime session's event handling, turn detection and timeline, kept as one state machine.
import type { WebSocket } from 'ws';
import { parseRealtimeClientEvent, type RealtimeClientEvent } from '../../protocols/realtime/client-events.js';
import { ConditionWaiters } from '../agents/condition-waiters.js';
import { EnergyVad } from './energy-vad.js';
import { type ResponsePlan, type SimErrorSpec, type SimItem, SimResponse } from './sim-response.js';
import {
  applyBetaUpdate,
  applyGaUpdate,
  initialSessionState,
  type SimSessionState,
  sessionEcho,
} from './sim-session-config.js';
import { decodeInput, type SimVoiceRenderer } from './sim-voice.js';
import { closeWebSocket } from '../close-web-socket.js';

/** What decides a response's content. */
export interface ResponseContext {
  readonly session: SimRealtimeSession;
  /** 0-based index of the response in this session. */
  readonly index: number;
  /** `vad`: the server's turn detection; `client`: a `response.create`. */
  readonly trigger: 'vad' | 'client';
  /** The `response.create` options (instructions, conversation, metadata), for client-triggered responses. */
  readonly params: Readonly<Record<string, unknown>> | undefined;
}

export type ResponseScript = (context: ResponseContext) => ResponsePlan | undefined;

export interface SimSessionSettings {
  readonly model: string;
  readonly dialect: 'ga' | 'beta';
  readonly voice: SimVoiceRenderer;
  readonly deltaMs: number;
  readonly speed: number;
  readonly defaultAudioMs: number;
  readonly script?: ResponseScript | undefined;
  readonly callerTranscript?: ((turn: number, durationMs: number) => string) | undefined;
  readonly vadThresholdRms?: number | undefined;
  /** Keep every event in `log` (default true; the benchmark turns it off). */
  readonly record: boolean;
  /**
   * A sideband of a SIP call, with the session its accept configured: the audio goes over SIP, so responses send
   * no audio deltas here (transcripts and everything else as usual).
   */
  readonly sideband?: Record<string, unknown> | undefined;
  /** First value of the id counter: a sideband reconnect continues the ids of the call's session. */
  readonly idBase?: number | undefined;
}

/** One event in the session's timeline (audio appends and audio deltas are counted, not logged). */
export interface SimLogEntry {
  readonly seq: number;
  readonly at: number;
  readonly direction: 'in' | 'out';
  readonly type: string;
  readonly event: Readonly<Record<string, unknown>>;
}

export interface SimTruncation {
  readonly itemId: string;
  readonly audioEndMs: number;
  /** Audio the server had produced for the item. */
  readonly itemAudioMs: number;
  readonly accepted: boolean;
}

const APPEND_PREFIX = '{"type":"input_audio_buffer.append","audio":"';

/** GA event names the beta dialect spells differently (events beta lacks map to undefined). */
const BETA_NAMES: Readonly<Record<string, string | undefined>> = {
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'conversation.item.added': 'conversation.item.created',
  'conversation.item.done': undefined,
};

/**
 * One connection to the simulated Realtime server. Speaks the GA protocol (or the beta names when the client
 * asked with `OpenAI-Beta: realtime=v1`): session lifecycle, server VAD from the energy of the appended audio,
 * responses per the script (audio deltas, transcripts, function calls), cancel, truncate and tool outputs with
 * the checks the service makes. It refuses, with an `error` event, a truncate beyond the audio the item has, a
 * `function_call_output` for a call that is unknown or whose response is not done yet, a `response.cancel` with
 * nothing active and a `response.create` while a response is active.
 */
export class SimRealtimeSession {
  readonly state: SimSessionState;
  readonly dialect: 'ga' | 'beta';
  readonly log: SimLogEntry[] = [];
  readonly truncations: SimTruncation[] = [];
  readonly errors: SimErrorSpec[] = [];
  readonly functionOutputs: Array<{ callId: string; output: string }> = [];
  readonly responses: SimResponse[] = [];
  readonly items: SimItem[] = [];
  readonly stats = { appends: 0, appendedBytes: 0, deltas: 0, speechStarts: 0, received: 0, sent: 0 };
  readonly #ws: WebSocket;
  readonly #s: SimSessionSettings;
  readonly #waiters = new ConditionWaiters();
  readonly #itemsById = new Map<string, SimItem>();
  #vad: EnergyVad;
  #active: SimResponse | undefined;
  #ids = 0;
  #seq = 0;
  #turns = 0;
  #userItem: { id: string; startMs: number } | undefined;
  #lastItemId: string | null = null;
  #closed = false;

  constructor(ws: WebSocket, settings: SimSessionSettings, id: string) {
    this.#ws = ws;
    this.#s = settings;
    this.dialect = settings.dialect;
    this.#ids = settings.idBase ?? 0;
    this.state = initialSessionState(id, settings.model);
    if (settings.sideband) applyGaUpdate(this.state, settings.sideband);
    this.#vad = this.#newVad();
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.#onText(data.toString());
    });
    ws.on('close', () => this.#onClose());
    ws.on('error', () => {});
    this.send({ type: 'session.created', session: sessionEcho(this.state, this.dialect) });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The response in progress, if any. */
  get activeResponse(): SimResponse | undefined {
    return this.#active;
  }

  /** Client events received of a type (appends are not kept). */
  received(type: string): Array<Readonly<Record<string, unknown>>> {
    return this.log.filter((e) => e.direction === 'in' && e.type === type).map((e) => e.event);
  }

  sentEvents(type: string): Array<Readonly<Record<string, unknown>>> {
    return this.log.filter((e) => e.direction === 'out' && e.type === type).map((e) => e.event);
  }

  /** Resolves with the first non-undefined value of `probe`, re-checked after every event. */
  waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    return this.#waiters.until(probe, what, timeoutMs);
  }

  waitForReceived(
    type: string,
    match: (e: Readonly<Record<string, unknown>>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Readonly<Record<string, unknown>>> {
    return this.waitFor(() => this.received(type).find(match), `client event ${type}`, timeoutMs);
  }

  /** Sends an event, GA-named (renamed for a beta client). */
  send(event: Record<string, unknown>): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    let type = String(event.type);
    if (this.dialect === 'beta' && type in BETA_NAMES) {
      const renamed = BETA_NAMES[type];
      if (renamed === undefined) return;
      type = renamed;
    }
    const out = { ...event, type, event_id: `event_${++this.#ids}` };
    this.stats.sent += 1;
    if (type.endsWith('audio.delta')) this.stats.deltas += 1;
    else this.#record('out', type, out);
    this.#ws.send(JSON.stringify(out));
    this.#waiters.notify();
  }

  sendError(spec: SimErrorSpec, clientEventId?: string): void {
    this.errors.push(spec);
    this.send({ type: 'error', error: { ...spec, param: spec.param ?? null, event_id: clientEventId ?? null } });
  }

  /** Starts a response now, as if the server decided to speak. */
  respond(plan: ResponsePlan, params?: Record<string, unknown>): SimResponse | undefined {
    return this.#startResponse('client', params, plan);
  }

  /**
   * A caller turn the server heard (over SIP, in a sideband session): speech started and stopped, the turn
   * committed and transcribed, and a response when turn detection creates one.
   */
  callerTurn(durationMs = 1000): void {
    const start = this.#vad.audioMs;
    this.#onSpeechStarted(start);
    this.#onSpeechStopped(start + durationMs);
    this.#waiters.notify();
  }

  /** Drops the connection without a close frame (a network failure). */
  drop(): void {
    this.#active?.abort();
    this.#ws.terminate();
  }

  /** Closes the socket with `code`/`reason`. Idempotent; resolves once it has closed (bounded, then terminated). */
  close(code = 1000, reason = ''): Promise<void> {
    return closeWebSocket(this.#ws, code, reason);
  }

  #newVad(): EnergyVad {
    const rate = this.state.inputFormat.type === 'audio/pcm' ? 24000 : 8000;
    const td = this.state.turnDetection;
    return new EnergyVad({
      sampleRate: rate,
      ...(this.#s.vadThresholdRms !== undefined ? { thresholdRms: this.#s.vadThresholdRms } : {}),
      silenceDurationMs: typeof td?.silence_duration_ms === 'number' ? td.silence_duration_ms : 500,
    });
  }

  #record(direction: 'in' | 'out', type: string, event: Record<string, unknown>): void {
    if (!this.#s.record) return;
    this.log.push({ seq: ++this.#seq, at: performance.now(), direction, type, event });
  }

  #onText(text: string): void {
    if (this.#closed) return;
    this.stats.received += 1;
    // Fast path for the appends a relay sends 50 times a second, in exactly this form (see appendEventText).
    if (
      text.startsWith(APPEND_PREFIX) &&
      text.endsWith('"}') &&
      text.indexOf('"', APPEND_PREFIX.length) === text.length - 2
    ) {
      this.#onAppend(text.slice(APPEND_PREFIX.length, -2));
      return;
    }
    const parsed = parseRealtimeClientEvent(text);
    if (!parsed.ok) {
      this.sendError(
        {
          type: 'invalid_request_error',
          code: parsed.code === 'unknown_event' ? 'invalid_value' : 'invalid_event',
          message: parsed.message,
        },
        parsed.eventId,
      );
      return;
    }
    const ev = parsed.event;
    if (ev.type === 'input_audio_buffer.append') {
      this.#onAppend(ev.audio);
      return;
    }
    this.#record('in', ev.type, ev as unknown as Record<string, unknown>);
    this.#onEvent(ev);
    this.#waiters.notify();
  }

  #onEvent(ev: Exclude<RealtimeClientEvent, { type: 'input_audio_buffer.append' }>): void {
    switch (ev.type) {
      case 'session.update': {
        const before = this.state.inputFormat.type;
        const r =
          this.dialect === 'ga' ? applyGaUpdate(this.state, ev.session) : applyBetaUpdate(this.state, ev.session);
        if (!r.ok) {
          this.sendError(
            { type: 'invalid_request_error', code: r.code, message: r.message, param: r.param ?? null },
            ev.event_id,
          );
          return;
        }
        if (before !== this.state.inputFormat.type || this.state.turnDetection) this.#vad = this.#newVad();
        this.send({ type: 'session.updated', session: sessionEcho(this.state, this.dialect) });
        return;
      }
      case 'input_audio_buffer.commit':
        this.#commitUserTurn(this.#vad.audioMs);
        return;
      case 'input_audio_buffer.clear':
        this.send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.create':
        this.#onItemCreate(ev);
        return;
      case 'conversation.item.truncate':
        this.#onTruncate(ev);
        return;
      case 'conversation.item.delete':
        this.send({ type: 'conversation.item.deleted', item_id: ev.item_id });
        return;
      case 'response.create':
        if (this.#active) {
          this.sendError(
            {
              type: 'invalid_request_error',
              code: 'conversation_already_has_active_response',
              message: `Conversation already has an active response in progress: ${this.#active.id}. Wait until the response is finished before creating a new one.`,
            },
            ev.event_id,
          );
          return;
        }
        this.#startResponse('client', ev.response as Record<string, unknown> | undefined);
        return;
      case 'response.cancel':
        if (!this.#active?.cancel('client_cancelled')) {
          this.sendError(
            {
              type: 'invalid_request_error',
              code: 'response_cancel_not_active',
              message: 'Cancellation failed: no active response found',
            },
            ev.event_id,
          );
        }
        return;
    }
  }

  #onItemCreate(ev: Extract<RealtimeClientEvent, { type: 'conversation.item.create' }>): void {
    const item = ev.item;
    if (item.type === 'function_call_output') {
      const call = [...this.#itemsById.values()].find((i) => i.type === 'function_call' && i.callId === item.call_id);
      if (!call || !call.finished) {
        this.sendError(
          {
            type: 'invalid_request_error',
            code: 'invalid_tool_call_id',
            message: `Tool call ID '${item.call_id}' not found in conversation.`,
            param: 'item.call_id',
          },
          ev.event_id,
        );
        return;
      }
      this.functionOutputs.push({ callId: item.call_id, output: item.output });
    }
    const stored: SimItem = {
      id: item.id ?? `item_${++this.#ids}`,
      type: item.type,
      ...(item.type === 'message' ? { role: item.role } : {}),
      ...(item.type !== 'message' ? { callId: item.call_id } : {}),
      ...(item.type === 'function_call' ? { name: item.name, arguments: item.arguments } : {}),
      audioMs: 0,
      transcript: '',
      finished: true,
      status: 'completed',
    };
    this.#addItem(stored);
    const json = { id: stored.id, object: 'realtime.item', status: 'completed', ...item };
    this.send({ type: 'conversation.item.added', previous_item_id: this.#lastItemId, item: json });
    this.send({ type: 'conversation.item.done', item: json });
    this.#lastItemId = stored.id;
  }

  #onTruncate(ev: Extract<RealtimeClientEvent, { type: 'conversation.item.truncate' }>): void {
    const item = this.#itemsById.get(ev.item_id);
    if (!item || item.type !== 'message' || item.role !== 'assistant') {
      this.truncations.push({ itemId: ev.item_id, audioEndMs: ev.audio_end_ms, itemAudioMs: 0, accepted: false });
      this.sendError(
        {
          type: 'invalid_request_error',
          code: 'invalid_value',
          message: item
            ? 'Only model output audio messages can be truncated'
            : `Item with item_id '${ev.item_id}' not found.`,
          param: 'item_id',
        },
        ev.event_id,
      );
      return;
    }
    const length = Math.round(item.audioMs);
    if (ev.content_index !== 0 || ev.audio_end_ms > length) {
      this.truncations.push({ itemId: item.id, audioEndMs: ev.audio_end_ms, itemAudioMs: length, accepted: false });
      this.sendError(
        {
          type: 'invalid_request_error',
          code: 'invalid_value',
          message: `Audio content of ${length}ms is already shorter than ${ev.audio_end_ms}ms`,
          param: 'audio_end_ms',
        },
        ev.event_id,
      );
      return;
    }
    item.truncatedAtMs = ev.audio_end_ms;
    this.truncations.push({ itemId: item.id, audioEndMs: ev.audio_end_ms, itemAudioMs: length, accepted: true });
    this.send({
      type: 'conversation.item.truncated',
      item_id: item.id,
      content_index: 0,
      audio_end_ms: ev.audio_end_ms,
    });
  }

  #onAppend(base64: string): void {
    this.stats.appends += 1;
    const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
    this.stats.appendedBytes += (base64.length * 3) / 4 - padding;
    if (!this.state.turnDetection) return;
    const { samples } = decodeInput(this.state.inputFormat, Buffer.from(base64, 'base64'));
    for (const e of this.#vad.push(samples)) {
      if (e.type === 'start') this.#onSpeechStarted(e.atMs);
      else this.#onSpeechStopped(e.atMs);
    }
  }

  #onSpeechStarted(atMs: number): void {
    const prefix = Number(this.state.turnDetection?.prefix_padding_ms ?? 300);
    const id = `item_${++this.#ids}`;
    this.#userItem = { id, startMs: atMs };
    this.stats.speechStarts += 1;
    this.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.max(0, atMs - prefix), item_id: id });
    if (this.state.turnDetection?.interrupt_response !== false) this.#active?.cancel('turn_detected');
  }

  #onSpeechStopped(atMs: number): void {
    const user = this.#userItem;
    if (!user) return;
    this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: atMs, item_id: user.id });
    this.#commitUserTurn(atMs);
  }

  #commitUserTurn(endMs: number): void {
    const user = this.#userItem ?? { id: `item_${++this.#ids}`, startMs: 0 };
    this.#userItem = undefined;
    this.send({ type: 'input_audio_buffer.committed', previous_item_id: this.#lastItemId, item_id: user.id });
    const item: SimItem = {
      id: user.id,
      type: 'message',
      role: 'user',
      audioMs: endMs - user.startMs,
      transcript: '',
      finished: true,
      status: 'completed',
    };
    this.#addItem(item);
    const json = {
      id: item.id,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null }],
    };
    this.send({ type: 'conversation.item.added', previous_item_id: this.#lastItemId, item: json });
    this.send({ type: 'conversation.item.done', item: json });
    this.#lastItemId = item.id;
    this.#turns += 1;
    if (this.state.transcription) {
      const transcript = this.#s.callerTranscript?.(this.#turns, item.audioMs) ?? `Caller turn ${this.#turns}.`;
      item.transcript = transcript;
      this.send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: item.id,
        content_index: 0,
        transcript,
        usage: { type: 'duration', seconds: item.audioMs / 1000 },
      });
    }
    if (this.state.turnDetection?.create_response !== false && this.state.turnDetection) {
      if (!this.#active) this.#startResponse('vad', undefined);
    }
  }

  #startResponse(
    trigger: 'vad' | 'client',
    params: Record<string, unknown> | undefined,
    forced?: ResponsePlan,
  ): SimResponse | undefined {
    const index = this.responses.length;
    const plan = forced ??
      this.#s.script?.({ session: this, index, trigger, params }) ?? {
        audioMs: this.#s.defaultAudioMs,
        transcript: `This is simulated answer ${index + 1}.`,
      };
    if (plan.error) {
      this.sendError(plan.error);
      return undefined;
    }
    const inConversation = params?.conversation !== 'none';
    const response = new SimResponse({
      id: `resp_${++this.#ids}`,
      plan,
      format: this.state.outputFormat,
      voice: this.#s.voice,
      deltaMs: this.#s.deltaMs,
      speed: this.#s.speed,
      audioOnWire: this.#s.sideband === undefined,
      inConversation,
      metadata: (params?.metadata as Record<string, unknown> | undefined) ?? null,
      hooks: {
        send: (e) => this.send(e),
        item: (item, inConv) => {
          if (inConv) this.#addItem(item);
          this.#lastItemId = inConv ? item.id : this.#lastItemId;
        },
        done: (r) => {
          if (this.#active === r) this.#active = undefined;
          this.#waiters.notify();
        },
        drop: () => this.drop(),
        nextId: (prefix) => `${prefix}_${++this.#ids}`,
      },
    });
    this.responses.push(response);
    this.#active = response;
    response.start(this.#lastItemId);
    return response;
  }

  #addItem(item: SimItem): void {
    this.items.push(item);
    this.#itemsById.set(item.id, item);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#active?.abort();
    this.#waiters.close('session closed');
  }
}
