import { TypedEmitter } from '../lib/typed-emitter.js';
import type { CloseReason } from './close-reason.js';
import type { CallSession } from './call-session.js';

export interface CallRegistryEvents {
  [key: string]: unknown[];
  added: [session: CallSession];
  removed: [session: CallSession];
  /** The last live call ended. */
  idle: [];
}

/** The live calls of this instance, by call id and by any alias (channel ids, AudioSocket UUID). */
export class CallRegistry extends TypedEmitter<CallRegistryEvents> {
  readonly #calls = new Map<string, CallSession>();
  readonly #aliases = new Map<string, string>();

  get size(): number {
    return this.#calls.size;
  }

  add(session: CallSession, aliases: string[] = []): void {
    this.#calls.set(session.id, session);
    for (const a of aliases) this.#aliases.set(a, session.id);
    session.once('ended', () => this.#remove(session));
    this.emit('added', session);
  }

  alias(session: CallSession, alias: string): void {
    if (this.#calls.get(session.id) === session) this.#aliases.set(alias, session.id);
  }

  get(idOrAlias: string): CallSession | undefined {
    return this.#calls.get(idOrAlias) ?? this.#calls.get(this.#aliases.get(idOrAlias) ?? '');
  }

  list(): CallSession[] {
    return [...this.#calls.values()];
  }

  /** Resolves when no call is live (at once if none is). */
  whenIdle(signal?: AbortSignal): Promise<void> {
    if (this.#calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.off('idle', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.on('idle', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Ends every live call with `reason` and waits for all of them. */
  async closeAll(reason: CloseReason): Promise<void> {
    await Promise.all(this.list().map((s) => s.close(reason)));
  }

  #remove(session: CallSession): void {
    if (this.#calls.get(session.id) !== session) return;
    this.#calls.delete(session.id);
    for (const [alias, id] of this.#aliases) if (id === session.id) this.#aliases.delete(alias);
    this.emit('removed', session);
    if (this.#calls.size === 0) this.emit('idle');
  }
}
