import type { RealtimeResponseParams } from '../../protocols/realtime/client-events.js';

/**
 * The responses of one Realtime session, one at a time as the server requires: the active response (from
 * `response.created` to `response.done`), a `response.create` sent and not yet answered, and at most one request
 * waiting for the active response to finish (later requests merge into it). Also which responses were cancelled
 * (their late audio is dropped) and which are out-of-band fillers.
 */
export class ResponseQueue {
  readonly #create: (params: RealtimeResponseParams | undefined) => void;
  #active: string | undefined;
  #requested = false;
  #pending: RealtimeResponseParams | undefined;
  #last: RealtimeResponseParams | undefined;
  readonly #cancelled = new Set<string>();
  readonly #fillers = new Set<string>();

  /** `create` sends `response.create` (with `params` when given). */
  constructor(create: (params: RealtimeResponseParams | undefined) => void) {
    this.#create = create;
  }

  /** The response in progress. */
  get active(): string | undefined {
    return this.#active;
  }

  /** A response is in progress or asked for. */
  get busy(): boolean {
    return this.#active !== undefined || this.#requested;
  }

  isCancelled(id: string): boolean {
    return this.#cancelled.has(id);
  }

  isFiller(id: string): boolean {
    return this.#fillers.has(id);
  }

  /** Asks for a response now when `canSend` and nothing is in progress; otherwise once the current one is done. */
  request(params: RealtimeResponseParams | undefined, canSend: boolean): void {
    if (!canSend || this.busy) {
      this.#pending = { ...this.#pending, ...params };
      return;
    }
    this.#send(params);
  }

  /** Asks for a response only if nothing is in progress or waiting (fillers); returns whether it did. */
  requestIfIdle(params: RealtimeResponseParams, canSend: boolean): boolean {
    if (!canSend || this.busy || this.#pending !== undefined) return false;
    this.#send(params);
    return true;
  }

  /** Sends the waiting request, if any and if nothing is in progress. */
  flush(canSend: boolean): void {
    const pending = this.#pending;
    if (pending === undefined || !canSend || this.busy) return;
    this.#pending = undefined;
    this.#send(Object.keys(pending).length > 0 ? pending : undefined);
  }

  created(id: string, filler: boolean): void {
    this.#active = id;
    this.#requested = false;
    if (filler) this.#fillers.add(id);
  }

  done(id: string): void {
    if (this.#active === id) this.#active = undefined;
    this.#cancelled.delete(id);
    this.#fillers.delete(id);
  }

  /** Marks the active response cancelled; returns its id when a `response.cancel` should be sent. */
  cancelActive(): string | undefined {
    const id = this.#active;
    if (id === undefined || this.#cancelled.has(id)) return undefined;
    this.#cancelled.add(id);
    return id;
  }

  /** The server refused our last `response.create` because one was active: ask again when it is done. */
  refusedAsBusy(): void {
    this.#requested = false;
    if (this.#last !== undefined) this.#pending ??= this.#last;
  }

  /** The session is gone: forgets responses in progress; returns the one that was active. */
  reset(): string | undefined {
    const active = this.#active;
    this.#active = undefined;
    this.#requested = false;
    this.#cancelled.clear();
    this.#fillers.clear();
    return active;
  }

  #send(params: RealtimeResponseParams | undefined): void {
    this.#requested = true;
    this.#last = params ?? {};
    this.#create(params);
  }
}
