import type { ChannelLiveness } from './silence-watchdog.js';
import type { TransferTarget, WarmTransferRequest } from './voice-agent.js';
import type { WarmTransferCall, WarmTransferOutcome } from './warm-transfer.js';

/**
 * Telephony actions on a call's Asterisk side (ARI for Stasis calls). Dialplan-direct calls have none: for them
 * hanging up means closing the AudioSocket, and the other actions are not available.
 */
export interface CallTelephony {
  answer(): Promise<void>;
  ring(): Promise<void>;
  hangup(reason: string): Promise<void>;
  transfer(target: TransferTarget): Promise<void>;
  /** Starts a warm transfer (Stasis calls); throws at once when it cannot start. See `warm-transfer.ts`. */
  warmTransfer?(
    request: WarmTransferRequest,
    call: Omit<WarmTransferCall, 'callerChannelId' | 'bridgeId'>,
    signal: AbortSignal,
  ): { transferId: string; outcome: Promise<WarmTransferOutcome> };
  /** Plays one or more media URIs to the caller (ARI: `sound:…`, `recording:…`, `digits:…`, `tone:…`). */
  play(media: string | readonly string[], playId?: string): Promise<void>;
  /** Plays to the caller and resolves once it finished (fallbacks), or after `timeoutMs`. */
  playAndWait(media: string, timeoutMs: number): Promise<void>;
  sendDtmf(digits: string): Promise<void>;
  startRecording(name: string): Promise<void>;
  stopRecording(name: string): Promise<void>;
  /**
   * Whether the call's channels (caller and media) still exist in Asterisk; asked when the caller has been silent
   * on the wire for a while. Never rejects (`unknown` when ARI cannot answer).
   */
  liveness?(): Promise<ChannelLiveness>;
  /** Releases ARI resources (bridge, media channel) after the call ended; idempotent. */
  release(): Promise<void>;
}
