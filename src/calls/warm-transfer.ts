import { randomUUID } from 'node:crypto';
import type { AriEvent } from '../protocols/ari/index.js';
import { isGone } from './ari-setup.js';
import type { LifecycleEventData } from './call-lifecycle.js';
import { originateFailure } from './stasis-originate.js';
import type { WarmTransferFailure, WarmTransferRequest, WarmTransferState } from './voice-agent.js';
import { WARM_TRANSFER_STASIS_ARG } from './warm-transfer-legs.js';
import {
  describe,
  dialStringOf,
  type TransferEventType,
  type WarmTransferCall,
  type WarmTransferEnv,
  type WarmTransferOutcome,
} from './warm-transfer-types.js';

export {
  dialStringOf,
  type WarmTransferCall,
  type WarmTransferEnv,
  type WarmTransferOutcome,
  warmTransferErrorCode,
} from './warm-transfer-types.js';

/** Extra wait past the ring timeout for Asterisk's own NOANSWER before the leg is hung up by us. */
const RING_GRACE_MS = 5000;

/** What wakes a step: an ARI event of the person's leg, or one of the transfer's own timers and signals. */
type Wake = AriEvent | { readonly type: 'aborted' | 'ringTimeout' | 'summaryTimeout' | 'summarySpoken' };

class Failed extends Error {
  readonly reason: WarmTransferFailure;
  readonly q850: number | undefined;
  readonly causeText: string | undefined;

  constructor(reason: WarmTransferFailure, message: string, q850?: number, causeText?: string) {
    super(message);
    this.reason = reason;
    this.q850 = q850;
    this.causeText = causeText;
  }
}

/**
 * One warm transfer, as a state machine: started → ringing → answered → summary_played → completed, or failed
 * from any step before completed. The person is originated into our Stasis app while the caller stays with the
 * agent (hold `agent`) or hears music on hold in a holding bridge (hold `moh`). When the person answers, the caller
 * waits in the holding bridge with music on hold and the person hears the summary: a recorded prompt played on
 * their channel, or the agent speaking in the call's bridge (the person takes the caller's place next to the media
 * channel). Then the person joins the caller in the holding bridge, the music stops, and the agent leaves (the
 * call ends as `transferred`). Busy, no answer, a decline key, the person hanging up: the person's leg is hung up,
 * the caller goes back to the agent's bridge, and the outcome says why. After completion the transfer keeps
 * watching the two: when one hangs up, the other is hung up and the bridge destroyed.
 */
export class WarmTransfer {
  readonly id = randomUUID();
  readonly #env: WarmTransferEnv;
  readonly #call: WarmTransferCall;
  readonly #req: WarmTransferRequest;
  readonly #humanId = `ava-wt-${randomUUID()}`;
  readonly #holdBridgeId = `ava-wt-hold-${randomUUID()}`;
  readonly #target: string;
  #holdBridge = false;
  #callerHeld = false;
  #humanUp = false;
  #humanGone = false;
  /** The answered person hung up (seen even between steps). */
  #humanLeft = false;
  #handedOver = false;
  /** The caller hung up (its channel's events reach us before the call is closed for it). */
  #callerLeft = false;
  #lastDialStatus = '';
  /** Wakes the step in progress: the person answered, left, declined, or a playback finished. */
  #wake: ((ev: Wake) => void) | undefined;
  readonly #onEvent = (ev: AriEvent) => this.#handle(ev);

  constructor(env: WarmTransferEnv, call: WarmTransferCall, request: WarmTransferRequest) {
    this.#env = env;
    this.#call = call;
    this.#req = request;
    this.#target = dialStringOf(request.target);
  }

  /** Runs the transfer to its outcome. `signal` aborts it (the call is ending): the person's leg is hung up. */
  async run(signal: AbortSignal): Promise<WarmTransferOutcome> {
    const { options, log } = this.#call;
    this.#env.legs.watch(this.#humanId, this.#onEvent);
    this.#env.legs.watch(this.#call.callerChannelId, this.#onEvent);
    const onAbort = () => this.#wake?.({ type: 'aborted' });
    signal.addEventListener('abort', onAbort);
    try {
      this.#step('started', 'transfer.started', {
        transferId: this.id,
        target: this.#target,
        hold: options.hold,
        ...(this.#req.reason !== undefined ? { reason: this.#req.reason } : {}),
      });
      if (options.hold === 'moh') await this.#holdCaller();
      await this.#dial(signal);
      this.#step('answered', 'transfer.answered', { transferId: this.id, channel: this.#humanId });
      if (options.hold === 'agent') await this.#holdCaller();
      const via = await this.#summary(signal);
      this.#step('summary_played', 'transfer.summary_played', { transferId: this.id, via });
      await this.#env.ari.bridges.addChannel(this.#holdBridgeId, { channel: this.#humanId });
      await this.#env.ari.bridges.stopMoh(this.#holdBridgeId).catch(() => undefined);
      this.#abortIf(signal);
      this.#handedOver = true;
      this.#step('completed', 'transfer.completed', { transferId: this.id, bridge: this.#holdBridgeId });
      log.info(
        { transferId: this.id, target: this.#target },
        'warm transfer completed; caller bridged with the person',
      );
      return { status: 'completed', transferId: this.id, bridgeId: this.#holdBridgeId };
    } catch (err) {
      const f =
        err instanceof Failed
          ? err
          : signal.aborted
            ? this.#callEnded()
            : this.#humanLeft
              ? new Failed('human_hangup', 'the person hung up before the caller was put through')
              : new Failed('unreachable', `the transfer could not be carried out: ${(err as Error).message}`);
      if (this.#humanLeft) this.#humanGone = true;
      await this.#undo(f.reason);
      const outcome: WarmTransferOutcome = {
        status: 'failed',
        transferId: this.id,
        reason: f.reason,
        message: f.message,
        ...(f.q850 !== undefined ? { cause: f.q850 } : {}),
        ...(f.causeText !== undefined ? { causeText: f.causeText } : {}),
      };
      log.info({ transferId: this.id, reason: f.reason, cause: f.q850, err }, 'warm transfer failed');
      this.#call.record('transfer.failed', {
        transferId: this.id,
        reason: f.reason,
        message: f.message,
        ...(f.q850 !== undefined ? { cause: f.q850 } : {}),
        ...(f.causeText !== undefined ? { causeText: f.causeText } : {}),
      });
      this.#call.notify({
        type: 'transfer',
        transferId: this.id,
        state: 'failed',
        target: this.#target,
        reason: f.reason,
        message: f.message,
        ...(f.q850 !== undefined ? { cause: f.q850 } : {}),
        ...(f.causeText !== undefined ? { causeText: f.causeText } : {}),
      });
      return outcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#wake = undefined;
      this.#env.legs.unwatch(`${this.#humanId}-summary`);
      if (!this.#handedOver) {
        this.#env.legs.unwatch(this.#humanId);
        this.#env.legs.unwatch(this.#call.callerChannelId);
      }
    }
  }

  #step<K extends TransferEventType>(state: WarmTransferState, type: K, data: LifecycleEventData[K]): void {
    this.#call.record(type, data);
    this.#call.notify({ type: 'transfer', transferId: this.id, state, target: this.#target });
  }

  /** The call ended during the transfer: the caller hung up, or it was ended otherwise (control, shutdown). */
  #callEnded(): Failed {
    return this.#callerLeft
      ? new Failed('caller_hangup', 'the caller hung up during the transfer')
      : new Failed('cancelled', 'the call ended during the transfer');
  }

  #abortIf(signal: AbortSignal): void {
    if (signal.aborted) throw this.#callEnded();
  }

  /** Moves the caller into the holding bridge with music on hold. */
  async #holdCaller(): Promise<void> {
    const { ari } = this.#env;
    if (!this.#holdBridge) {
      await ari.bridges.create({ bridgeId: this.#holdBridgeId, type: 'mixing', name: `warm-transfer-${this.id}` });
      this.#holdBridge = true;
    }
    await ari.bridges.addChannel(this.#holdBridgeId, { channel: this.#call.callerChannelId });
    this.#callerHeld = true;
    await ari.bridges.startMoh(this.#holdBridgeId, { mohClass: this.#call.options.mohClass });
  }

  /** Originates the person's leg; resolves when it answered (entered Stasis). */
  async #dial(signal: AbortSignal): Promise<void> {
    const { options } = this.#call;
    const answered = this.#until(signal, (ev, done, fail) => {
      if (ev.type === 'StasisStart' && ev.channel.id === this.#humanId) {
        this.#humanUp = true;
        done();
      } else if (ev.type === 'ChannelDestroyed' && ev.channel.id === this.#humanId) {
        this.#humanGone = true;
        const e = originateFailure(ev.cause, ev.cause_txt, this.#lastDialStatus);
        const reason: WarmTransferFailure =
          e.code === 'ORIGINATE_BUSY' ? 'busy' : e.code === 'ORIGINATE_NO_ANSWER' ? 'no_answer' : 'unreachable';
        fail(new Failed(reason, describe(reason, ev.cause, ev.cause_txt), ev.cause, ev.cause_txt));
      }
    });
    answered.catch(() => undefined); // awaited below; Asterisk may report the failure before originate returns
    try {
      await this.#env.ari.channels.originate({
        endpoint: this.#target,
        app: this.#env.app,
        appArgs: [WARM_TRANSFER_STASIS_ARG, this.#call.callId],
        channelId: this.#humanId,
        timeout: options.ringTimeoutSec,
        ...(options.callerId !== undefined ? { callerId: options.callerId } : {}),
      });
    } catch (err) {
      this.#humanGone = true;
      this.#wake?.({ type: 'aborted' });
      await answered.catch(() => undefined);
      throw new Failed('unreachable', `Asterisk could not dial ${this.#target}: ${(err as Error).message}`);
    }
    this.#step('ringing', 'transfer.ringing', { transferId: this.id, channel: this.#humanId });
    const timer = setTimeout(
      () => {
        this.#wake?.({ type: 'ringTimeout' });
      },
      options.ringTimeoutSec * 1000 + RING_GRACE_MS,
    );
    try {
      await answered;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Plays the prompt to the person, or has the agent speak the summary to them; the person may decline. */
  async #summary(signal: AbortSignal): Promise<'prompt' | 'agent' | 'none'> {
    const { ari } = this.#env;
    const { options } = this.#call;
    const prompt =
      this.#req.prompt ?? (this.#req.summary !== undefined && this.#call.speak ? undefined : options.prompt);
    const playbackId = `${this.#humanId}-summary`;
    this.#env.legs.watch(playbackId, this.#onEvent);
    const speaking = new AbortController();
    const finished = this.#until(signal, (ev, done) => {
      if (ev.type === 'PlaybackFinished' && ev.playback.id === playbackId) done();
      if (ev.type === 'summarySpoken') done();
    });
    finished.catch(() => undefined); // awaited below; a step in between may throw first
    const timer = setTimeout(() => this.#wake?.({ type: 'summaryTimeout' }), options.summaryTimeoutMs);
    try {
      if (prompt !== undefined) {
        await ari.channels.play(this.#humanId, { media: prompt, playbackId });
        await finished;
        return 'prompt';
      }
      const speak = this.#call.speak;
      const summary = this.#req.summary;
      if (summary === undefined || !speak) {
        this.#wake?.({ type: 'summarySpoken' });
        await finished;
        return 'none';
      }
      // The person takes the caller's place next to the agent's media channel and hears the agent.
      await ari.bridges.addChannel(this.#call.bridgeId, { channel: this.#humanId });
      speak(summary, AbortSignal.any([signal, speaking.signal])).then(
        () => this.#wake?.({ type: 'summarySpoken' }),
        (err: unknown) => {
          this.#call.log.warn({ err, transferId: this.id }, 'the agent could not speak the summary');
          this.#wake?.({ type: 'summarySpoken' });
        },
      );
      await finished;
      return 'agent';
    } finally {
      clearTimeout(timer);
      speaking.abort();
    }
  }

  /**
   * Waits for `step` to call `done` (or `fail`); the person leaving, declining, the ring or summary time running
   * out and `signal` end the wait with the matching failure.
   */
  #until(signal: AbortSignal, step: (ev: Wake, done: () => void, fail: (f: Failed) => void) => void): Promise<void> {
    const declineDigit = this.#call.options.declineDigit.toUpperCase();
    return new Promise<void>((resolve, reject) => {
      const end = (f?: Failed) => {
        this.#wake = undefined;
        if (f) reject(f);
        else resolve();
      };
      if (signal.aborted) {
        end(this.#callEnded());
        return;
      }
      if (this.#humanLeft) {
        this.#humanGone = true;
        end(new Failed('human_hangup', 'the person hung up before the caller was put through'));
        return;
      }
      this.#wake = (ev) => {
        const type = ev.type;
        if (type === 'aborted') {
          end(
            this.#humanGone ? new Failed('unreachable', `Asterisk could not dial ${this.#target}`) : this.#callEnded(),
          );
          return;
        }
        if (type === 'ringTimeout') {
          end(new Failed('no_answer', describe('no_answer', undefined, undefined)));
          return;
        }
        if (type === 'summaryTimeout') {
          this.#call.log.warn({ transferId: this.id }, 'summary took too long; bridging anyway');
          end();
          return;
        }
        if (this.#humanUp && ev.type === 'ChannelDtmfReceived' && ev.channel.id === this.#humanId) {
          if (ev.digit.toUpperCase() === declineDigit) {
            end(new Failed('declined', `the person declined the call (pressed ${ev.digit})`));
            return;
          }
        }
        if (
          this.#humanUp &&
          (ev.type === 'ChannelDestroyed' || ev.type === 'StasisEnd' || ev.type === 'ChannelHangupRequest') &&
          ev.channel.id === this.#humanId
        ) {
          this.#humanGone = true;
          end(new Failed('human_hangup', 'the person hung up before the caller was put through'));
          return;
        }
        step(
          ev,
          () => end(),
          (f) => end(f),
        );
      };
    });
  }

  #handle(ev: AriEvent): void {
    if (ev.type === 'Dial' && ev.peer.id === this.#humanId && ev.dialstatus) this.#lastDialStatus = ev.dialstatus;
    if (this.#humanUp && (ev.type === 'ChannelDestroyed' || ev.type === 'StasisEnd') && ev.channel.id === this.#humanId)
      this.#humanLeft = true;
    if (this.#handedOver) {
      this.#afterHandOver(ev);
      return;
    }
    const callerGone = ev.type === 'StasisEnd' || ev.type === 'ChannelDestroyed' || ev.type === 'ChannelHangupRequest';
    if (callerGone && ev.channel.id === this.#call.callerChannelId) this.#callerLeft = true;
    this.#wake?.(ev);
  }

  /** Caller and person are bridged without us: when one leaves, the other is hung up and the bridge destroyed. */
  #afterHandOver(ev: AriEvent): void {
    if (ev.type !== 'StasisEnd' && ev.type !== 'ChannelDestroyed') return;
    const caller = this.#call.callerChannelId;
    const gone = ev.channel.id;
    if (gone !== caller && gone !== this.#humanId) return;
    const other = gone === caller ? this.#humanId : caller;
    this.#env.legs.unwatch(caller);
    this.#env.legs.unwatch(this.#humanId);
    this.#call.log.info({ transferId: this.id, channel: gone }, 'transferred call ended; hanging up the other side');
    void this.#env.ari.channels
      .hangup(other, { reason: 'normal' })
      .catch((err: unknown) => {
        if (!isGone(err)) this.#call.log.warn({ err, channel: other }, 'hangup after transfer failed');
      })
      .then(() => this.#env.ari.bridges.destroy(this.#holdBridgeId))
      .catch(() => undefined);
  }

  /** Hangs up the person's leg, brings the caller back to the agent's bridge and removes the holding bridge. */
  async #undo(reason: WarmTransferFailure): Promise<void> {
    const { ari } = this.#env;
    const steps: Array<() => Promise<unknown>> = [
      async () => {
        if (this.#humanGone) return;
        await ari.channels.hangup(this.#humanId, { reason: 'normal' });
      },
      async () => {
        // A caller who hung up is not brought back; the call's teardown handles it.
        if (!this.#callerHeld || reason === 'caller_hangup' || reason === 'cancelled') return;
        await ari.bridges.addChannel(this.#call.bridgeId, { channel: this.#call.callerChannelId });
      },
      async () => {
        if (this.#holdBridge) await ari.bridges.destroy(this.#holdBridgeId);
      },
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        if (!isGone(err)) this.#call.log.warn({ err, transferId: this.id }, 'warm transfer clean-up step failed');
      }
    }
  }
}
