import type { AriEvent } from '../protocols/ari/index.js';

/** `StasisStart` argument of a person's leg: the controller leaves such channels to their warm transfer. */
export const WARM_TRANSFER_STASIS_ARG = 'warm-transfer';

/** The channel (or playback) an ARI event is about, for routing it to a warm transfer. */
function keyOf(ev: AriEvent): string | undefined {
  switch (ev.type) {
    case 'Dial':
      return ev.peer.id;
    case 'PlaybackStarted':
    case 'PlaybackContinuing':
    case 'PlaybackFinished':
      return ev.playback.id;
    default:
      return 'channel' in ev && ev.channel && typeof ev.channel === 'object' && 'id' in ev.channel
        ? String(ev.channel.id)
        : undefined;
  }
}

/**
 * The channels (and playbacks) warm transfers hold in the Stasis app: persons being dialled or told about a
 * caller, and callers handed over to a person. The Stasis controller passes every ARI event through `dispatch`
 * and leaves these channels alone (no call of their own, not orphans to reconcile away).
 */
export class WarmTransferLegs {
  readonly #handlers = new Map<string, (ev: AriEvent) => void>();

  owns(id: string): boolean {
    return this.#handlers.has(id);
  }

  watch(id: string, handler: (ev: AriEvent) => void): void {
    this.#handlers.set(id, handler);
  }

  unwatch(id: string): void {
    this.#handlers.delete(id);
  }

  dispatch(ev: AriEvent): void {
    const key = keyOf(ev);
    if (key !== undefined) this.#handlers.get(key)?.(ev);
  }
}
