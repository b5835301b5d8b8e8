/**
 * Call set-up steps that must not depend on the order in which Asterisk's events and REST answers arrive.
 *
 * Asterisk answers `POST /channels/externalMedia` once the channel exists, then puts it into the application on
 * another thread: its StasisStart may come before or after that answer reaches us. `POST /bridges/{id}/addChannel`
 * for a channel that is not yet in the application is `422 Channel not in Stasis application`
 * (res/ari/resource_bridges.c). So a media channel is joined only once its own StasisStart has been seen (bounded
 * wait), and a 422 is still treated as "not yet" and retried a few times.
 */
import { AppError } from '../errors/app-error.js';
import { AriHttpError } from '../transports/ari/ari-errors.js';
import type { MediaPathAri } from './stasis-ari.js';

/** Most StasisStarts of unclaimed media channels remembered; beyond it the oldest is forgotten. */
export const EARLY_STASIS_LIMIT = 1000;

/**
 * StasisStarts of our media channels, by channel id: a waiter registered before the event, or the event
 * remembered (bounded, oldest dropped) until the set-up that created the channel asks for it.
 */
export class MediaStasisTracker {
  readonly #waiters = new Map<string, () => void>();
  readonly #early = new Set<string>();

  /** A media channel's StasisStart arrived. */
  started(channelId: string): void {
    const waiter = this.#waiters.get(channelId);
    if (waiter) {
      waiter();
      return;
    }
    this.#early.add(channelId);
    if (this.#early.size > EARLY_STASIS_LIMIT) {
      const oldest = this.#early.values().next().value;
      if (oldest !== undefined) this.#early.delete(oldest);
    }
  }

  /** Forgets a channel (it ended before anyone asked). */
  forget(channelId: string): void {
    this.#early.delete(channelId);
  }

  /** Resolves once `channelId` is in the application; rejects with `MEDIA_NO_STASIS` when `signal` aborts first. */
  wait(channelId: string, signal: AbortSignal): Promise<void> {
    if (this.#early.delete(channelId)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(channelId);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(
          new AppError('media channel did not enter Stasis', {
            code: 'MEDIA_NO_STASIS',
            category: 'timeout',
            details: { channel: channelId },
          }),
        );
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(channelId, () => {
        done();
        resolve();
      });
    });
  }

  /** How many StasisStarts wait to be claimed (tests, leak checks). */
  get unclaimed(): number {
    return this.#early.size;
  }
}

/** Asterisk's answer for a channel that exists but is not (yet) in a Stasis application. */
export function isNotInStasis(err: unknown): boolean {
  return err instanceof AriHttpError && err.status === 422 && /not in Stasis/i.test(err.ariMessage ?? '');
}

/** The resource is gone (404, 400 "Channel not found", 422 for a channel that left): fine on teardown. */
export function isGone(err: unknown): boolean {
  if (!(err instanceof AriHttpError)) return false;
  if (err.status === 404 || err.status === 422) return true;
  return err.status === 400 && /not found/i.test(err.ariMessage ?? '');
}

export interface AddChannelRetry {
  /** Further attempts after a 422 "Channel not in Stasis application". */
  readonly attempts: number;
  /** Pause before the first retry; doubles each time. */
  readonly delayMs: number;
  /** Stops the retries (the call ended). */
  readonly signal?: AbortSignal | undefined;
}

/** Default: 5 retries, 20 ms doubling (about 0.6 s in all) — far longer than Asterisk takes to enter Stasis. */
export const ADD_CHANNEL_RETRY: AddChannelRetry = { attempts: 5, delayMs: 20 };

const pause = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * `addChannel`, treating `422 Channel not in Stasis application` as "not yet": retried with a doubling pause up to
 * `retry.attempts` times; the last 422 (and any other error) is thrown.
 */
export async function addChannelWhenInStasis(
  ari: Pick<MediaPathAri, 'bridges'>,
  bridgeId: string,
  channelId: string,
  retry: AddChannelRetry = ADD_CHANNEL_RETRY,
  onRetry?: (attempt: number) => void,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ari.bridges.addChannel(bridgeId, { channel: channelId });
      return;
    } catch (err) {
      if (!isNotInStasis(err) || attempt >= retry.attempts || retry.signal?.aborted) throw err;
      onRetry?.(attempt + 1);
      await pause(retry.delayMs * 2 ** attempt, retry.signal);
    }
  }
}

/** What `whileLive` needs of a call: its state changes. */
interface StatefulCall {
  readonly closing: boolean;
  on(event: 'state', listener: (state: string) => void): unknown;
  off(event: 'state', listener: (state: string) => void): unknown;
}

/** A signal that aborts as soon as the call starts ending; `dispose()` stops listening. */
export function whileLive(call: StatefulCall): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onState = (state: string) => {
    if (state === 'ending' || state === 'ended') controller.abort();
  };
  if (call.closing) controller.abort();
  else call.on('state', onState);
  return { signal: controller.signal, dispose: () => call.off('state', onState) };
}
