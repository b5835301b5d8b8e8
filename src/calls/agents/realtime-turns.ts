import type { ConversationLog } from './realtime-conversation.js';
import { heardPortion } from './realtime-conversation.js';
import type { TranscriptSink } from './realtime-transcripts.js';

/** What the relay knows about one item the model produced. */
export interface ModelItem {
  readonly id: string;
  readonly responseId: string;
  /** false for an out-of-band response (a tool filler): not part of the conversation, never truncated. */
  readonly inConversation: boolean;
  /** Milliseconds of audio received for it, in the session's format. */
  receivedMs: number;
  /** The server said its audio is complete (`output_audio.done`). */
  audioDone: boolean;
  transcript: string;
  transcriptDone: boolean;
  playStartedAtMs: number | undefined;
  playEndedAtMs: number | undefined;
  /** Milliseconds the caller was sent, once playback is over. */
  playedMs: number | undefined;
  playbackOver: boolean;
  interrupted: boolean;
  /** Truncation sent (once per item). */
  truncated: boolean;
  /** Later audio of it is dropped (interrupted or its response cancelled). */
  discard: boolean;
  emitted: boolean;
}

interface CallerItem {
  startedAtMs: number | undefined;
  endedAtMs: number | undefined;
}

/** Most items remembered per call; the oldest emitted ones are forgotten beyond it. */
const MAX_ITEMS = 256;

/**
 * The turns of one call: caller speech (timed by the server's VAD, text from input transcription) and model
 * items (audio received, transcript, what playout actually played). A model turn is handed to the transcript
 * sink once its transcript is complete and its playback is over (played out, interrupted, or never had audio),
 * with `truncated` set when the caller did not hear all of it; the conversation log gets the heard part.
 * Times are ms since the call started.
 */
export class RealtimeTurns {
  readonly #callId: string;
  readonly #sink: TranscriptSink;
  readonly #log: ConversationLog;
  readonly #model = new Map<string, ModelItem>();
  readonly #caller = new Map<string, CallerItem>();

  constructor(callId: string, sink: TranscriptSink, log: ConversationLog) {
    this.#callId = callId;
    this.#sink = sink;
    this.#log = log;
  }

  model(itemId: string): ModelItem | undefined {
    return this.#model.get(itemId);
  }

  /** Registers a model item when it first appears; returns it (the existing one if known). */
  modelItem(itemId: string, responseId: string, inConversation: boolean): ModelItem {
    let item = this.#model.get(itemId);
    if (item) return item;
    item = {
      id: itemId,
      responseId,
      inConversation,
      receivedMs: 0,
      audioDone: false,
      transcript: '',
      transcriptDone: false,
      playStartedAtMs: undefined,
      playEndedAtMs: undefined,
      playedMs: undefined,
      playbackOver: false,
      interrupted: false,
      truncated: false,
      discard: false,
      emitted: false,
    };
    this.#model.set(itemId, item);
    if (inConversation) this.#log.assistantItem(itemId);
    this.#forget(this.#model, (i) => i.emitted);
    return item;
  }

  /** Items of a response that are still producing or playing. */
  itemsOf(responseId: string): ModelItem[] {
    return [...this.#model.values()].filter((i) => i.responseId === responseId);
  }

  audioDone(itemId: string): void {
    const item = this.#model.get(itemId);
    if (item) item.audioDone = true;
  }

  transcriptDelta(itemId: string, delta: string): void {
    const item = this.#model.get(itemId);
    if (item && !item.transcriptDone) item.transcript += delta;
  }

  transcriptDone(itemId: string, text: string): void {
    const item = this.#model.get(itemId);
    if (!item || item.transcriptDone) return;
    item.transcript = text;
    item.transcriptDone = true;
    this.#maybeEmit(item);
  }

  playStarted(itemId: string, atMs: number): void {
    const item = this.#model.get(itemId);
    if (item && item.playStartedAtMs === undefined) item.playStartedAtMs = atMs;
  }

  /** All of the item was played. */
  playEnded(itemId: string, atMs: number, playedMs: number): void {
    const item = this.#model.get(itemId);
    if (!item || item.playbackOver) return;
    item.playbackOver = true;
    item.playEndedAtMs = atMs;
    item.playedMs = playedMs;
    this.#maybeEmit(item);
  }

  /** Playout of the item was flushed after `playedMs`. */
  interrupted(itemId: string, atMs: number, playedMs: number): void {
    const item = this.#model.get(itemId);
    if (!item) return;
    item.interrupted = true;
    item.discard = true;
    if (item.playbackOver) return;
    item.playbackOver = true;
    item.playEndedAtMs = atMs;
    item.playedMs = playedMs;
    this.#maybeEmit(item);
  }

  /** A response is over: its items that never produced audio have no playback to wait for. */
  responseDone(responseId: string): void {
    for (const item of this.itemsOf(responseId)) {
      if (!item.transcriptDone) item.transcriptDone = true;
      if (item.receivedMs === 0 && !item.playbackOver) {
        item.playbackOver = true;
        item.playedMs = 0;
      }
      this.#maybeEmit(item);
    }
  }

  /** The session was lost: transcripts in progress are complete as far as they got. */
  connectionLost(): void {
    for (const item of this.#model.values()) {
      if (item.transcriptDone) continue;
      item.transcriptDone = true;
      item.interrupted = true;
      this.#maybeEmit(item);
    }
  }

  speechStarted(itemId: string, atMs: number): void {
    this.#caller.set(itemId, { startedAtMs: atMs, endedAtMs: undefined });
    this.#log.userItem(itemId);
    this.#forget(this.#caller, (c) => c.endedAtMs !== undefined);
  }

  speechStopped(itemId: string, atMs: number): void {
    const c = this.#caller.get(itemId);
    if (c) c.endedAtMs = atMs;
    else this.#caller.set(itemId, { startedAtMs: undefined, endedAtMs: atMs });
  }

  callerTranscript(itemId: string, text: string): void {
    const c = this.#caller.get(itemId);
    this.#caller.delete(itemId);
    const trimmed = text.trim();
    if (trimmed === '') return;
    this.#log.userText(itemId, trimmed);
    this.#sink.add(this.#callId, {
      role: 'caller',
      text: trimmed,
      itemId,
      startedAtMs: c?.startedAtMs ?? null,
      endedAtMs: c?.endedAtMs ?? null,
      truncated: false,
    });
  }

  /**
   * The call is ending: every model turn not handed over yet is, cut where playback stopped (`playedMs` tells how
   * much of an item playout had sent).
   */
  flush(atMs: number, playedMs: (itemId: string) => number): void {
    for (const item of this.#model.values()) {
      if (item.emitted) continue;
      if (!item.playbackOver) {
        item.playbackOver = true;
        item.interrupted = item.interrupted || item.receivedMs > 0;
        item.playEndedAtMs = atMs;
        item.playedMs = playedMs(item.id);
      }
      item.transcriptDone = true;
      this.#maybeEmit(item);
    }
  }

  #maybeEmit(item: ModelItem): void {
    if (item.emitted || !item.transcriptDone || !item.playbackOver) return;
    item.emitted = true;
    const text = item.transcript.trim();
    if (text === '') return;
    const totalMs = Math.round(item.receivedMs);
    const playedMs = Math.round(Math.min(item.playedMs ?? totalMs, totalMs));
    // Cut short: the caller did not hear all that was received, or the model was stopped before it finished.
    const truncated = item.interrupted && (playedMs < totalMs || (totalMs > 0 && !item.audioDone));
    if (item.inConversation) {
      this.#log.assistantText(item.id, text, truncated ? heardPortion(text, playedMs, totalMs) : text);
    }
    this.#sink.add(this.#callId, {
      role: 'agent',
      text,
      itemId: item.id,
      startedAtMs: item.playStartedAtMs ?? null,
      endedAtMs: item.playEndedAtMs ?? null,
      truncated,
      playedMs,
      totalMs,
    });
  }

  #forget<T>(map: Map<string, T>, done: (v: T) => boolean): void {
    if (map.size <= MAX_ITEMS) return;
    for (const [k, v] of map) {
      if (map.size <= MAX_ITEMS) break;
      if (done(v)) map.delete(k);
    }
  }
}
