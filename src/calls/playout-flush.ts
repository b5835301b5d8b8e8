import type { ClearResult, PlayoutBuffer } from '../audio/playout-buffer.js';
import type { CallNotice } from './voice-agent.js';

/** What the agent is told after a playout flush: what each utterance got to play, and which marks were cleared. */
export function clearedNotices(result: ClearResult): CallNotice[] {
  const notices: CallNotice[] = [];
  for (const u of result.utterances) {
    if (u.playedMs === 0 && u.droppedMs === 0) continue;
    notices.push({
      type: 'interruption',
      utteranceId: u.utteranceId,
      playedMs: u.playedMs,
      totalMs: u.playedMs + u.droppedMs,
    });
  }
  for (const name of result.marks) notices.push({ type: 'markCleared', name });
  return notices;
}

/**
 * Moves audio the leg had sent but its far end had not played (and has now discarded) from played to dropped, so
 * "heard" is what Asterisk acknowledged. Utterances that were all sent appear again with their corrected figures.
 */
export function withUnplayed(
  playout: Pick<PlayoutBuffer, 'playedMs'>,
  result: ClearResult,
  unplayed: Map<string, number>,
): ClearResult {
  if (unplayed.size === 0) return result;
  const utterances = result.utterances.map((u) => {
    const ms = Math.min(unplayed.get(u.utteranceId) ?? 0, u.playedMs);
    unplayed.delete(u.utteranceId);
    return ms === 0 ? u : { ...u, playedMs: u.playedMs - ms, droppedMs: u.droppedMs + ms };
  });
  let extraDropped = 0;
  for (const [utteranceId, ms] of unplayed) {
    const sent = playout.playedMs(utteranceId);
    const lost = Math.min(ms, sent);
    if (lost <= 0) continue;
    extraDropped += lost;
    utterances.push({ utteranceId, playedMs: sent - lost, droppedMs: lost, protected: false });
  }
  return { ...result, droppedMs: result.droppedMs + extraDropped, utterances };
}
