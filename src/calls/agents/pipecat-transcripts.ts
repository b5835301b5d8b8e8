import type { TranscriptSink } from './realtime-transcripts.js';

type CallerSource = 'transcription-frame' | 'user-transcription';
type AgentSource = 'text-frame' | 'bot-output' | 'bot-transcription';

/**
 * Transcript turns of a Pipecat bot's call, stored like a Realtime agent's. The caller's words come as final
 * transcription frames or RTVI `user-transcription`; the bot's as text frames, RTVI `bot-output` or
 * `bot-transcription`. A bot may send the same words several ways, so per role the first source seen is the one
 * used. A caller turn is stored as it arrives. The bot's text is one turn until its answer was all played (stored
 * whole), the caller interrupted it (stored truncated, with the milliseconds heard), or the call ended. "All
 * played": playout ran empty after the bot said it stopped speaking (RTVI `bot-stopped-speaking`); a bot that sends
 * no such signal ends its answer whenever playout runs empty.
 */
export class PipecatTranscripts {
  readonly #sink: TranscriptSink;
  readonly #callId: string;
  readonly #startedAt: number;
  #callerSource: CallerSource | undefined;
  #agentSource: AgentSource | undefined;
  #agentText: string[] = [];
  #agentStartedAtMs: number | null = null;
  #turns = 0;
  /** Between the bot's RTVI `bot-started-speaking` and `bot-stopped-speaking`: playout running empty ends nothing. */
  #botSpeaking = false;
  #playoutEmpty = true;

  constructor(sink: TranscriptSink, callId: string, startedAt: Date) {
    this.#sink = sink;
    this.#callId = callId;
    this.#startedAt = startedAt.getTime();
  }

  caller(text: string, source: CallerSource): void {
    this.#callerSource ??= source;
    if (source !== this.#callerSource || text.trim() === '') return;
    const at = this.#now();
    this.#sink.add(this.#callId, {
      role: 'caller',
      text: text.trim(),
      itemId: this.#itemId('caller'),
      startedAtMs: null,
      endedAtMs: at,
      truncated: false,
    });
  }

  agent(text: string, source: AgentSource): void {
    this.#agentSource ??= source;
    if (source !== this.#agentSource || text.trim() === '') return;
    this.#agentStartedAtMs ??= this.#now();
    this.#agentText.push(text.trim());
  }

  /** The bot's audio is queued for the caller. */
  audio(): void {
    this.#playoutEmpty = false;
  }

  /** Everything the bot sent so far was played. */
  played(): void {
    this.#playoutEmpty = true;
    if (!this.#botSpeaking) this.#endAgentTurn(false);
  }

  /** The bot says it started (true) or stopped (false) speaking. */
  botSpeaking(speaking: boolean): void {
    this.#botSpeaking = speaking;
    if (!speaking && this.#playoutEmpty) this.#endAgentTurn(false);
  }

  /** The bot's words so far were cut short: `playedMs` of `totalMs` reached the caller. */
  interrupted(playedMs: number, totalMs: number): void {
    this.#botSpeaking = false;
    this.#playoutEmpty = true;
    this.#endAgentTurn(true, playedMs, totalMs);
  }

  /** The call ended: words not yet played count as cut short. */
  ended(): void {
    this.#endAgentTurn(true);
  }

  #endAgentTurn(truncated: boolean, playedMs?: number, totalMs?: number): void {
    if (this.#agentText.length === 0) return;
    this.#sink.add(this.#callId, {
      role: 'agent',
      text: this.#agentText.join(' '),
      itemId: this.#itemId('agent'),
      startedAtMs: this.#agentStartedAtMs,
      endedAtMs: this.#now(),
      truncated,
      ...(playedMs !== undefined ? { playedMs } : {}),
      ...(totalMs !== undefined ? { totalMs } : {}),
    });
    this.#agentText = [];
    this.#agentStartedAtMs = null;
  }

  #itemId(role: 'caller' | 'agent'): string {
    this.#turns += 1;
    return `pipecat-${role}-${this.#turns}`;
  }

  #now(): number {
    return Math.max(0, Date.now() - this.#startedAt);
  }
}
