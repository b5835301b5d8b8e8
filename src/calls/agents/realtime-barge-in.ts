import type { Logger } from '../../observability/logger.js';
import type { RealtimeClientEvent } from '../../protocols/realtime/client-events.js';
import type { AgentOutput } from '../voice-agent.js';
import type { PlayoutDrain } from './realtime-playout-drain.js';
import type { ResponseQueue } from './realtime-responses.js';
import type { RealtimeTurns } from './realtime-turns.js';

export interface RealtimeBargeInDeps {
  readonly output: Pick<AgentOutput, 'interrupt'>;
  readonly responses: ResponseQueue;
  readonly turns: RealtimeTurns;
  readonly drain: PlayoutDrain;
  readonly logger: Logger;
  send(event: RealtimeClientEvent): void;
  /** A session is live (a truncate can be sent). */
  live(): boolean;
  nowMs(): number;
}

/**
 * Barge-in on a Realtime call: the caller's speech flushes our playout (the bridge then reports what each cut
 * utterance got to play), the active response is cancelled once, and each interrupted conversation item is
 * truncated at the milliseconds the caller actually heard — the playout buffer's figure, never more than the
 * audio received for the item (the server refuses a truncate past the audio it has).
 */
export class RealtimeBargeIn {
  readonly #d: RealtimeBargeInDeps;
  readonly stats = { truncations: 0, cancels: 0 };

  constructor(deps: RealtimeBargeInDeps) {
    this.#d = deps;
  }

  /** The caller spoke over the model (server VAD, our VAD, or a control-plane interrupt). */
  bargeIn(source: 'server' | 'local' | 'control'): void {
    const result = this.#d.output.interrupt();
    if (result.utterances.length > 0) this.#d.logger.info({ source, droppedMs: result.droppedMs }, 'barge-in');
    this.cancelActive();
    this.#d.drain.drained();
  }

  /** Cancels the active response once; its remaining audio will be dropped. */
  cancelActive(): void {
    const id = this.#d.responses.cancelActive();
    if (id === undefined) return;
    for (const item of this.#d.turns.itemsOf(id)) item.discard = true;
    this.stats.cancels += 1;
    this.#d.send({ type: 'response.cancel' });
  }

  /** Playout of an utterance was flushed after `playedMs` (the bridge's `interruption` notice). */
  interrupted(utteranceId: string, playedMs: number): void {
    const { turns, responses } = this.#d;
    const item = turns.model(utteranceId);
    if (!item) return;
    turns.interrupted(utteranceId, this.#d.nowMs(), playedMs);
    if (item.responseId === responses.active) this.cancelActive();
    if (!item.inConversation || item.truncated || !this.#d.live()) return;
    item.truncated = true;
    const audioEndMs = Math.max(0, Math.floor(Math.min(playedMs, item.receivedMs)));
    this.stats.truncations += 1;
    this.#d.logger.info(
      { itemId: item.id, audioEndMs, receivedMs: Math.round(item.receivedMs) },
      'truncating interrupted item',
    );
    this.#d.send({ type: 'conversation.item.truncate', item_id: item.id, content_index: 0, audio_end_ms: audioEndMs });
  }
}
