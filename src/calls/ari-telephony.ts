import { AppError } from '../errors/app-error.js';
import type { Logger } from '../observability/logger.js';
import { AriHttpError } from '../transports/ari/ari-errors.js';
import { isGone } from './ari-setup.js';
import type { CallTelephony } from './call-control.js';
import type { ChannelLiveness } from './silence-watchdog.js';
import type { TelephonyAri } from './stasis-ari.js';
import type { TransferTarget, WarmTransferRequest } from './voice-agent.js';
import {
  WarmTransfer,
  type WarmTransferCall,
  type WarmTransferEnv,
  type WarmTransferOutcome,
} from './warm-transfer.js';

/** Resources one Stasis call holds in Asterisk. Filled in as the call is set up. */
export interface AriCallResources {
  callerChannelId: string;
  bridgeId?: string | undefined;
  mediaChannelId?: string | undefined;
}

/** Waits for a playback to finish; implemented by the controller, which sees the events. */
export type PlaybackWaiter = (playbackId: string, timeoutMs: number) => Promise<void>;

/** A Stasis call's telephony actions, carried out over ARI. */
export class AriCallTelephony implements CallTelephony {
  readonly resources: AriCallResources;
  readonly #ari: TelephonyAri;
  readonly #log: Logger;
  readonly #waitPlayback: PlaybackWaiter;
  #releasedMedia: string | undefined;
  #releasedBridge: string | undefined;
  #playSeq = 0;
  readonly #warm: WarmTransferEnv | undefined;
  #transferring: WarmTransfer | undefined;
  /** Settles when the last warm transfer has finished (its clean-up and its events included). */
  #transferDone: Promise<void> | undefined;

  constructor(
    ari: TelephonyAri,
    resources: AriCallResources,
    waitPlayback: PlaybackWaiter,
    logger: Logger,
    warm?: WarmTransferEnv,
  ) {
    this.#ari = ari;
    this.resources = resources;
    this.#waitPlayback = waitPlayback;
    this.#log = logger;
    this.#warm = warm;
  }

  /**
   * Starts a warm transfer (see `WarmTransfer`). Throws at once for a bad target, a call without a bridge, or a
   * transfer already running; otherwise returns its id and its outcome (which never rejects).
   */
  warmTransfer(
    request: WarmTransferRequest,
    call: Omit<WarmTransferCall, 'callerChannelId' | 'bridgeId'>,
    signal: AbortSignal,
  ): { transferId: string; outcome: Promise<WarmTransferOutcome> } {
    const bridgeId = this.resources.bridgeId;
    if (!this.#warm || !bridgeId) {
      throw new AppError('a warm transfer needs the call to be bridged in the Stasis app', {
        code: 'ACTION_UNAVAILABLE',
        category: 'invalid_request',
      });
    }
    this.#refuseWhileTransferring();
    const transfer = new WarmTransfer(
      this.#warm,
      { ...call, callerChannelId: this.resources.callerChannelId, bridgeId },
      request,
    );
    this.#transferring = transfer;
    const outcome = transfer.run(signal).finally(() => {
      if (this.#transferring === transfer) this.#transferring = undefined;
    });
    this.#transferDone = outcome.then(
      () => undefined,
      () => undefined,
    );
    return { transferId: transfer.id, outcome };
  }

  #refuseWhileTransferring(): void {
    if (!this.#transferring) return;
    throw new AppError(`a warm transfer (${this.#transferring.id}) is already running on this call`, {
      code: 'TRANSFER_IN_PROGRESS',
      category: 'conflict',
    });
  }

  answer(): Promise<void> {
    return this.#ari.channels.answer(this.resources.callerChannelId);
  }

  ring(): Promise<void> {
    return this.#ari.channels.ring(this.resources.callerChannelId);
  }

  async hangup(reason: string): Promise<void> {
    try {
      await this.#ari.channels.hangup(this.resources.callerChannelId, { reason: 'normal' });
      this.#log.debug({ reason }, 'caller channel hung up');
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  async transfer(target: TransferTarget): Promise<void> {
    this.#refuseWhileTransferring();
    const id = this.resources.callerChannelId;
    if ('endpoint' in target) {
      await this.#ari.channels.redirect(id, { endpoint: target.endpoint });
      return;
    }
    await this.#ari.channels.continueInDialplan(id, {
      context: target.context,
      extension: target.extension,
      priority: target.priority ?? 1,
    });
  }

  async play(media: string | readonly string[], playId?: string): Promise<void> {
    const playbackId = playId ?? `${this.resources.callerChannelId}-play-${++this.#playSeq}`;
    if (this.resources.bridgeId) await this.#ari.bridges.play(this.resources.bridgeId, { media, playbackId });
    else await this.#ari.channels.play(this.resources.callerChannelId, { media, playbackId });
  }

  /** Plays to the caller and resolves when it finished (or after `timeoutMs`). */
  async playAndWait(media: string, timeoutMs: number): Promise<void> {
    const playbackId = `${this.resources.callerChannelId}-fallback-${++this.#playSeq}`;
    const done = this.#waitPlayback(playbackId, timeoutMs);
    await this.#ari.channels.play(this.resources.callerChannelId, { media, playbackId });
    await done;
  }

  sendDtmf(digits: string): Promise<void> {
    return this.#ari.channels.sendDtmf(this.resources.callerChannelId, { dtmf: digits });
  }

  async startRecording(name: string): Promise<void> {
    const bridgeId = this.resources.bridgeId;
    if (!bridgeId)
      throw new AppError('the call has no bridge to record', {
        code: 'RECORDING_UNAVAILABLE',
        category: 'invalid_request',
      });
    await this.#ari.bridges.record(bridgeId, { name, format: 'wav', ifExists: 'fail' });
  }

  stopRecording(name: string): Promise<void> {
    return this.#ari.recordings.stopLive(name);
  }

  /** Asks ARI for the caller's channel, then the media channel: 404 means gone; any other failure is unknown. */
  async liveness(): Promise<ChannelLiveness> {
    const { callerChannelId, mediaChannelId } = this.resources;
    const channels: Array<['caller' | 'media', string]> = [['caller', callerChannelId]];
    if (mediaChannelId) channels.push(['media', mediaChannelId]);
    for (const [channel, id] of channels) {
      try {
        await this.#ari.channels.get(id);
      } catch (err) {
        if (err instanceof AriHttpError && err.status === 404) return { kind: 'gone', channel };
        return { kind: 'unknown', error: err instanceof Error ? err.message : String(err) };
      }
    }
    return { kind: 'up' };
  }

  /**
   * Hangs up the media leg and destroys the bridge; never fails (what is already gone is fine). Safe to call again
   * when setup created more resources after an earlier call: each resource is released once.
   */
  async release(): Promise<void> {
    // A transfer cut short by the call's end finishes first (the person's leg hung up, its `failed` event recorded).
    await this.#transferDone;
    const { mediaChannelId, bridgeId } = this.resources;
    if (mediaChannelId && this.#releasedMedia !== mediaChannelId) {
      this.#releasedMedia = mediaChannelId;
      await this.#ari.channels.hangup(mediaChannelId).catch((err: unknown) => {
        if (!isGone(err)) this.#log.warn({ err, channel: mediaChannelId }, 'media channel hangup failed');
      });
    }
    if (bridgeId && this.#releasedBridge !== bridgeId) {
      this.#releasedBridge = bridgeId;
      await this.#ari.bridges.destroy(bridgeId).catch((err: unknown) => {
        if (!isGone(err)) this.#log.warn({ err, bridge: bridgeId }, 'bridge destroy failed');
      });
    }
  }
}
