import type { PlayoutBuffer } from '../../audio/playout-buffer.js';

/** After the message's last audio has been sent, this long for Asterisk to play it out before hanging up. */
const TAIL_MS = 400;

/**
 * `machine: message`: once the agent's first complete utterance (its message after the beep) has been played and
 * nothing more is queued, `hangup` is called. Returns a function that stops watching.
 */
export function hangUpAfterMessage(playout: PlayoutBuffer, hangup: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onEnd = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (playout.bufferedMs === 0) hangup();
    }, TAIL_MS);
  };
  playout.on('utteranceEnd', onEnd);
  return () => {
    clearTimeout(timer);
    playout.off('utteranceEnd', onEnd);
  };
}
