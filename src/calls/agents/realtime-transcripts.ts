import type { Logger } from '../../observability/logger.js';

/**
 * Where the Realtime agent hands finished transcript turns. Declared here, by its consumer; the composition root
 * supplies one that stores them (`transcripts` table) and emits `call.transcript` events for the call's webhooks.
 */

/** One finished turn of a call's conversation. */
export interface TranscriptTurn {
  /** `caller`: what the caller said (input transcription); `agent`: what the model said (output transcript). */
  readonly role: 'caller' | 'agent';
  readonly text: string;
  /** The Realtime conversation item id. */
  readonly itemId: string;
  /** When the turn started and ended, in ms since the call started (null when unknown). */
  readonly startedAtMs: number | null;
  readonly endedAtMs: number | null;
  /**
   * Agent turns: true when the caller did not hear all of it, or the model was stopped before it finished (barge-in,
   * a lost connection, the call ending). `text` is then what the model generated; `playedMs` of `totalMs` (the
   * audio received) is what was heard.
   */
  readonly truncated: boolean;
  readonly playedMs?: number;
  readonly totalMs?: number;
}

export interface TranscriptSink {
  /** Takes one turn; returns at once and never throws (storage happens in the background). */
  add(callId: string, turn: TranscriptTurn): void;
}

/** Keeps turns in memory (tests, the demo). */
export class MemoryTranscriptSink implements TranscriptSink {
  readonly turns: Array<TranscriptTurn & { callId: string }> = [];
  readonly #listeners = new Set<(callId: string, turn: TranscriptTurn) => void>();

  add(callId: string, turn: TranscriptTurn): void {
    this.turns.push({ callId, ...turn });
    for (const l of this.#listeners) l(callId, turn);
  }

  /** Calls `listener` for every later turn; returns a function that stops it. */
  subscribe(listener: (callId: string, turn: TranscriptTurn) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  forCall(callId: string): TranscriptTurn[] {
    return this.turns.filter((t) => t.callId === callId);
  }
}

/** Writes turns to the log at debug level: the default when nothing stores transcripts. */
export function loggingTranscriptSink(logger: Logger): TranscriptSink {
  return {
    add(callId, turn) {
      logger.debug({ callId, transcript: turn }, 'transcript turn');
    },
  };
}
