import type { RealtimeAudioFormat } from '../../protocols/realtime/audio-formats.js';
import { bytesPerMs, type SimVoiceRenderer } from './sim-voice.js';

/** A function call the simulated model makes. */
export interface SimFunctionCall {
  readonly name: string;
  readonly arguments: string | Readonly<Record<string, unknown>>;
  /** Default: a fresh `call_…` id. */
  readonly callId?: string;
  /** Report the finished call a second time (`function_call_arguments.done` and `output_item.done` again). */
  readonly reportTwice?: boolean;
}

/** An error the simulated server sends. */
export interface SimErrorSpec {
  readonly type: string;
  readonly code: string | null;
  readonly message: string;
  readonly param?: string | null;
}

/** What one response does. */
export interface ResponsePlan {
  /** Milliseconds of spoken audio (0: none). */
  readonly audioMs?: number;
  readonly transcript?: string;
  readonly functionCalls?: readonly SimFunctionCall[];
  /** Wait between the last function call and `response.done` (a model still thinking). Default 0. */
  readonly responseDoneDelayMs?: number;
  /** Send this error instead of a response. */
  readonly error?: SimErrorSpec;
  /** Drop the connection (no close frame): before the response, half-way through its audio, or after it. */
  readonly dropConnection?: 'before' | 'mid-audio' | 'after';
}

/** A conversation item on the simulated server. */
export interface SimItem {
  readonly id: string;
  readonly type: 'message' | 'function_call' | 'function_call_output';
  readonly role?: 'user' | 'assistant' | 'system';
  /** Audio the server produced for it (assistant) so far, ms; what a truncate may not exceed. */
  audioMs: number;
  transcript: string;
  readonly callId?: string;
  readonly name?: string;
  readonly arguments?: string;
  /** The response that produced it is done (or the client created it): a function call may get its output. */
  finished: boolean;
  status: 'in_progress' | 'completed' | 'incomplete';
  truncatedAtMs?: number;
}

export interface SimResponseHooks {
  send(event: Record<string, unknown>): void;
  /** A new item; `inConversation` false for out-of-band responses. */
  item(item: SimItem, inConversation: boolean): void;
  done(response: SimResponse): void;
  drop(): void;
  nextId(prefix: string): string;
}

export interface SimResponseOptions {
  readonly id: string;
  readonly plan: ResponsePlan;
  readonly format: RealtimeAudioFormat;
  readonly voice: SimVoiceRenderer;
  /** Audio per delta, ms. */
  readonly deltaMs: number;
  /** Generation speed relative to real time (Infinity: all at once). */
  readonly speed: number;
  /** false: the audio goes elsewhere (a SIP call's sideband): timed as usual, no `output_audio.delta` sent. */
  readonly audioOnWire?: boolean;
  readonly inConversation: boolean;
  readonly metadata: Record<string, unknown> | null;
  readonly hooks: SimResponseHooks;
}

function words(text: string): string[] {
  return text.split(/(?<=\s)/).filter((w) => w.length > 0);
}

/**
 * One response of the simulated model, in the GA event order: `response.created`; per message item
 * `output_item.added`, `conversation.item.added`, `content_part.added`, paced `output_audio.delta` and
 * `output_audio_transcript.delta`, the `.done` events; per function call its item, `function_call_arguments.delta`
 * and `.done`, `output_item.done`; then `response.done` and `rate_limits.updated`. `cancel()` stops it with
 * `response.done` status `cancelled`.
 */
export class SimResponse {
  readonly id: string;
  readonly items: SimItem[] = [];
  readonly metadata: Record<string, unknown> | null;
  status: 'in_progress' | 'completed' | 'cancelled' = 'in_progress';
  readonly #o: SimResponseOptions;
  #timer: NodeJS.Timeout | undefined;
  #message: SimItem | undefined;
  #previous: string | null = null;

  constructor(options: SimResponseOptions) {
    this.#o = options;
    this.id = options.id;
    this.metadata = options.metadata;
  }

  get active(): boolean {
    return this.status === 'in_progress';
  }

  start(previousItemId: string | null): void {
    this.#previous = previousItemId;
    const { plan, hooks } = this.#o;
    if (plan.dropConnection === 'before') {
      hooks.drop();
      return;
    }
    hooks.send({ type: 'response.created', response: this.#resource([]) });
    const audioMs = Math.max(0, Math.round(plan.audioMs ?? 0));
    const transcript = plan.transcript ?? '';
    if (audioMs > 0 || transcript !== '') this.#startMessage(audioMs, transcript);
    else this.#finish();
  }

  /** Stops generating without a word (the connection is gone). */
  abort(): void {
    if (!this.active) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.status = 'cancelled';
    this.#o.hooks.done(this);
  }

  /** Stops a response in progress; false when it had already finished. */
  cancel(reason: 'client_cancelled' | 'turn_detected'): boolean {
    if (!this.active) return false;
    if (this.#timer) clearTimeout(this.#timer);
    this.status = 'cancelled';
    const m = this.#message;
    if (m && m.status === 'in_progress') {
      m.status = 'incomplete';
      m.finished = true;
      this.#o.hooks.send({
        type: 'response.output_item.done',
        response_id: this.id,
        output_index: 0,
        item: this.#itemJson(m),
      });
    }
    for (const item of this.items) item.finished = true;
    this.#o.hooks.send({
      type: 'response.done',
      response: {
        ...this.#resource(this.items.map((i) => this.#itemJson(i))),
        status: 'cancelled',
        status_details: { type: 'cancelled', reason },
      },
    });
    this.#o.hooks.done(this);
    return true;
  }

  #startMessage(audioMs: number, transcript: string): void {
    const { hooks } = this.#o;
    const item: SimItem = {
      id: hooks.nextId('item'),
      type: 'message',
      role: 'assistant',
      audioMs: 0,
      transcript: '',
      finished: false,
      status: 'in_progress',
    };
    this.#message = item;
    this.items.push(item);
    hooks.item(item, this.#o.inConversation);
    hooks.send({
      type: 'response.output_item.added',
      response_id: this.id,
      output_index: 0,
      item: this.#itemJson(item),
    });
    if (this.#o.inConversation) {
      hooks.send({ type: 'conversation.item.added', previous_item_id: this.#previous, item: this.#itemJson(item) });
    }
    hooks.send({
      type: 'response.content_part.added',
      response_id: this.id,
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: 'audio', transcript: '' },
    });
    const pieces = words(transcript);
    const chunks = Math.max(1, Math.ceil(audioMs / this.#o.deltaMs));
    let sent = 0;
    const step = (): void => {
      this.#timer = undefined;
      if (!this.active) return;
      const ms = Math.min(this.#o.deltaMs, audioMs - item.audioMs);
      if (ms > 0) {
        const audio = this.#o.voice.render(this.#o.format, item.audioMs, ms);
        item.audioMs += audio.length / bytesPerMs(this.#o.format);
        if (this.#o.audioOnWire !== false)
          hooks.send({
            type: 'response.output_audio.delta',
            response_id: this.id,
            item_id: item.id,
            output_index: 0,
            content_index: 0,
            delta: audio.toString('base64'),
          });
      }
      sent += 1;
      const upTo = Math.ceil((pieces.length * sent) / chunks);
      const text = pieces.slice(item.transcript.length === 0 ? 0 : countPieces(item.transcript), upTo).join('');
      if (text !== '') {
        item.transcript += text;
        hooks.send({
          type: 'response.output_audio_transcript.delta',
          response_id: this.id,
          item_id: item.id,
          output_index: 0,
          content_index: 0,
          delta: text,
        });
      }
      if (this.#o.plan.dropConnection === 'mid-audio' && sent === Math.ceil(chunks / 2)) {
        hooks.drop();
        return;
      }
      if (item.audioMs < audioMs || sent < chunks) this.#schedule(step);
      else this.#endMessage(item, transcript);
    };
    this.#schedule(step);
  }

  #endMessage(item: SimItem, transcript: string): void {
    const { hooks } = this.#o;
    item.transcript = transcript;
    item.status = 'completed';
    const base = { response_id: this.id, item_id: item.id, output_index: 0, content_index: 0 };
    hooks.send({ type: 'response.output_audio.done', ...base });
    hooks.send({ type: 'response.output_audio_transcript.done', ...base, transcript });
    hooks.send({ type: 'response.content_part.done', ...base, part: { type: 'audio', transcript } });
    hooks.send({
      type: 'response.output_item.done',
      response_id: this.id,
      output_index: 0,
      item: this.#itemJson(item),
    });
    if (this.#o.inConversation) hooks.send({ type: 'conversation.item.done', item: this.#itemJson(item) });
    this.#previous = item.id;
    this.#finish();
  }

  #finish(): void {
    if (!this.active) return;
    const { hooks } = this.#o;
    for (const call of this.#o.plan.functionCalls ?? []) {
      const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
      const item: SimItem = {
        id: hooks.nextId('item'),
        type: 'function_call',
        callId: call.callId ?? hooks.nextId('call'),
        name: call.name,
        arguments: args,
        audioMs: 0,
        transcript: '',
        finished: false,
        status: 'in_progress',
      };
      const index = this.items.length;
      this.items.push(item);
      hooks.item(item, this.#o.inConversation);
      hooks.send({
        type: 'response.output_item.added',
        response_id: this.id,
        output_index: index,
        item: this.#itemJson(item),
      });
      if (this.#o.inConversation) {
        hooks.send({ type: 'conversation.item.added', previous_item_id: this.#previous, item: this.#itemJson(item) });
      }
      hooks.send({
        type: 'response.function_call_arguments.delta',
        response_id: this.id,
        item_id: item.id,
        output_index: index,
        call_id: item.callId,
        delta: args,
      });
      item.status = 'completed';
      const done = {
        type: 'response.function_call_arguments.done',
        response_id: this.id,
        item_id: item.id,
        output_index: index,
        call_id: item.callId,
        name: item.name,
        arguments: args,
      };
      const itemDone = {
        type: 'response.output_item.done',
        response_id: this.id,
        output_index: index,
        item: this.#itemJson(item),
      };
      hooks.send(done);
      hooks.send(itemDone);
      if (this.#o.inConversation) hooks.send({ type: 'conversation.item.done', item: this.#itemJson(item) });
      if (call.reportTwice) {
        hooks.send(done);
        hooks.send(itemDone);
      }
      this.#previous = item.id;
    }
    const delay = this.#o.plan.responseDoneDelayMs ?? 0;
    if (delay > 0 && (this.#o.plan.functionCalls?.length ?? 0) > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (this.active) this.#complete();
      }, delay);
      return;
    }
    this.#complete();
  }

  #complete(): void {
    const { hooks } = this.#o;
    this.status = 'completed';
    for (const item of this.items) item.finished = true;
    hooks.send({
      type: 'response.done',
      response: {
        ...this.#resource(this.items.map((i) => this.#itemJson(i))),
        status: 'completed',
        status_details: null,
      },
    });
    hooks.send({
      type: 'rate_limits.updated',
      rate_limits: [
        { name: 'requests', limit: 1000, remaining: 999, reset_seconds: 60 },
        { name: 'tokens', limit: 100_000, remaining: 99_000, reset_seconds: 60 },
      ],
    });
    hooks.done(this);
    if (this.#o.plan.dropConnection === 'after') hooks.drop();
  }

  #schedule(step: () => void): void {
    if (!Number.isFinite(this.#o.speed)) {
      queueMicrotask(step);
      return;
    }
    this.#timer = setTimeout(step, this.#o.deltaMs / this.#o.speed);
  }

  #resource(output: unknown[]): Record<string, unknown> {
    return {
      id: this.id,
      object: 'realtime.response',
      status: 'in_progress',
      status_details: null,
      output,
      conversation_id: this.#o.inConversation ? 'conv_sim' : null,
      output_modalities: ['audio'],
      metadata: this.metadata,
      usage: { total_tokens: 0, input_tokens: 0, output_tokens: 0 },
    };
  }

  #itemJson(item: SimItem): Record<string, unknown> {
    if (item.type === 'function_call') {
      return {
        id: item.id,
        object: 'realtime.item',
        type: 'function_call',
        status: item.status,
        call_id: item.callId,
        name: item.name,
        arguments: item.status === 'completed' ? item.arguments : '',
      };
    }
    return {
      id: item.id,
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status: item.status,
      content: item.status === 'in_progress' ? [] : [{ type: 'output_audio', transcript: item.transcript }],
    };
  }
}

function countPieces(text: string): number {
  return words(text).length;
}
