import type { Logger } from '../observability/logger.js';
import type { TranscriptSink, TranscriptTurn } from './agents/realtime-transcripts.js';
import type { CallRegistry } from './call-registry.js';

/** Where finished turns are stored; the `transcripts` table's repository (db/) is one. */
export interface TranscriptStore {
  append(entry: {
    callId: string;
    role: TranscriptTurn['role'];
    text: string;
    startedAtMs: number | null;
    endedAtMs: number | null;
    truncated: boolean;
    itemId: string;
  }): Promise<unknown>;
}

/**
 * Realtime transcript turns: recorded on the call (webhooks, console) and, once a store is given, stored there
 * (one store for all calls). A turn that cannot be stored is logged and dropped.
 */
export class RecordedTranscriptSink implements TranscriptSink {
  readonly #registry: CallRegistry;
  readonly #logger: Logger;
  #store: TranscriptStore | undefined;

  constructor(registry: CallRegistry, logger: Logger) {
    this.#registry = registry;
    this.#logger = logger;
  }

  /** Stores turns from now on in `store` (the service calls it once the database is up). */
  useStore(store: TranscriptStore): void {
    this.#store = store;
  }

  add(callId: string, turn: TranscriptTurn): void {
    this.#registry
      .get(callId)
      ?.record('transcript', { role: turn.role, text: turn.text, itemId: turn.itemId, truncated: turn.truncated });
    this.#store
      ?.append({
        callId,
        role: turn.role,
        text: turn.text,
        startedAtMs: turn.startedAtMs,
        endedAtMs: turn.endedAtMs,
        truncated: turn.truncated,
        itemId: turn.itemId,
      })
      .catch((err: unknown) => this.#logger.warn({ err, callId }, 'transcript turn not stored'));
  }
}
