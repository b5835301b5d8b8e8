import {
  assistantTextItem,
  type RealtimeClientItem,
  systemTextItem,
  userTextItem,
} from '../../protocols/realtime/client-events.js';

/** One entry of the conversation as the relay remembers it. */
export type ConversationEntry =
  | { readonly kind: 'user'; readonly itemId: string; text: string | undefined }
  | { readonly kind: 'assistant'; readonly itemId: string; text: string | undefined; heardText: string | undefined }
  | { readonly kind: 'function_call'; readonly callId: string; readonly name: string; readonly arguments: string }
  | { readonly kind: 'function_call_output'; readonly callId: string; readonly output: string }
  | { readonly kind: 'system'; readonly id: string; readonly text: string };

/**
 * The conversation so far, kept to replay it to a new session after a reconnect: caller and model turns as text
 * (the model's as much of it as the caller heard), function calls and their outputs as function items. Entries
 * are ordered by when their item appeared; text arrives later (transcription is asynchronous). Bounded: beyond
 * `maxEntries` the oldest entries are forgotten.
 */
export class ConversationLog {
  readonly #max: number;
  readonly #entries: ConversationEntry[] = [];
  readonly #byItem = new Map<string, ConversationEntry>();
  #systemCount = 0;

  constructor(maxEntries: number) {
    this.#max = Math.max(0, maxEntries);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Reserves the caller item's place (at speech start); its text comes with the transcription. */
  userItem(itemId: string): void {
    if (this.#byItem.has(itemId)) return;
    this.#push({ kind: 'user', itemId, text: undefined });
  }

  userText(itemId: string, text: string): void {
    const e = this.#byItem.get(itemId);
    if (e?.kind === 'user') e.text = text;
    else this.#push({ kind: 'user', itemId, text });
  }

  /** Reserves a model item's place (first output of it). */
  assistantItem(itemId: string): void {
    if (this.#byItem.has(itemId)) return;
    this.#push({ kind: 'assistant', itemId, text: undefined, heardText: undefined });
  }

  /** The model's transcript of an item, and what of it the caller heard (the same when all of it was played). */
  assistantText(itemId: string, text: string, heardText: string): void {
    const e = this.#byItem.get(itemId);
    if (e?.kind === 'assistant') {
      e.text = text;
      e.heardText = heardText;
    } else this.#push({ kind: 'assistant', itemId, text, heardText });
  }

  /** A message the control plane gave the model. */
  systemText(text: string): void {
    this.#systemCount += 1;
    this.#push({ kind: 'system', id: `system-${this.#systemCount}`, text });
  }

  functionCall(callId: string, name: string, args: string): void {
    if (this.#byItem.has(`call:${callId}`)) return;
    this.#push({ kind: 'function_call', callId, name, arguments: args });
  }

  functionOutput(callId: string, output: string): void {
    if (this.#byItem.has(`output:${callId}`)) return;
    this.#push({ kind: 'function_call_output', callId, output });
  }

  /**
   * The items to create in a new session, oldest first: turns without text are left out; an output whose call
   * was forgotten is left out too (the server would refuse it).
   */
  replayItems(dialect: 'ga' | 'beta'): RealtimeClientItem[] {
    const calls = new Set<string>();
    const items: RealtimeClientItem[] = [];
    for (const e of this.#entries) {
      switch (e.kind) {
        case 'user':
          if (e.text) items.push(userTextItem(e.text));
          break;
        case 'assistant':
          if (e.heardText) items.push(assistantTextItem(e.heardText, dialect));
          break;
        case 'function_call':
          calls.add(e.callId);
          items.push({ type: 'function_call', call_id: e.callId, name: e.name, arguments: e.arguments });
          break;
        case 'function_call_output':
          if (calls.has(e.callId)) items.push({ type: 'function_call_output', call_id: e.callId, output: e.output });
          break;
        case 'system':
          items.push(systemTextItem(e.text));
          break;
      }
    }
    return items;
  }

  #push(entry: ConversationEntry): void {
    this.#entries.push(entry);
    this.#byItem.set(keyOf(entry), entry);
    while (this.#entries.length > this.#max) {
      const old = this.#entries.shift();
      if (old) this.#byItem.delete(keyOf(old));
    }
  }
}

function keyOf(e: ConversationEntry): string {
  switch (e.kind) {
    case 'user':
    case 'assistant':
      return e.itemId;
    case 'function_call':
      return `call:${e.callId}`;
    case 'function_call_output':
      return `output:${e.callId}`;
    case 'system':
      return e.id;
  }
}

/**
 * The part of a transcript the caller heard when `playedMs` of `totalMs` was played, estimated by word count in
 * proportion (speech rate is roughly even over an utterance), with an ellipsis when cut.
 */
export function heardPortion(text: string, playedMs: number, totalMs: number): string {
  if (totalMs <= 0 || playedMs >= totalMs) return text;
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const n = Math.floor((words.length * Math.max(0, playedMs)) / totalMs);
  if (n <= 0) return '';
  return `${words.slice(0, n).join(' ')}…`;
}
