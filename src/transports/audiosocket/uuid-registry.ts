import { AppError } from '../../errors/app-error.js';
import { normalizeUuid } from '../../protocols/audiosocket/uuid.js';
import type { AdmissionDecision, AudioSocketAdmission } from './admission.js';

export type UuidTakeResult<C> =
  | { readonly ok: true; readonly context: C }
  | { readonly ok: false; readonly reason: 'unknown_uuid' | 'expired_uuid' };

export interface UuidRegistryOptions {
  /** Monotonic milliseconds; `performance.now` by default. */
  now?: () => number;
  /** Most UUIDs waiting at once; `register` beyond it throws (after dropping expired entries). Default 10000. */
  maxEntries?: number;
  /** How many recently expired UUIDs are remembered so a late connection is told "expired", not "unknown". */
  expiredMemory?: number;
}

interface Entry<C> {
  context: C;
  expiresAt: number;
}

/**
 * UUIDs handed to Asterisk (externalMedia `data=`, dialplan `AudioSocket(<uuid>,…)`) that are waiting for their TCP
 * connection, each with the call context it belongs to and an expiry. `take` is one-shot: a UUID admits one
 * connection. Expired entries are removed on every register/take (and cost nothing until then: no timers).
 *
 * Bounded: at most `maxEntries` waiting UUIDs (registering more throws `AUDIOSOCKET_REGISTRY_FULL`) and at most
 * `expiredMemory` remembered expiries (oldest forgotten first).
 */
export class UuidRegistry<C> implements AudioSocketAdmission<C> {
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #expiredMemory: number;
  readonly #entries = new Map<string, Entry<C>>();
  readonly #expired = new Map<string, number>();
  #nextExpiry = Number.POSITIVE_INFINITY;

  constructor(options: UuidRegistryOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#expiredMemory = options.expiredMemory ?? 1024;
  }

  /** UUIDs currently waiting (expired ones may be counted until the next register/take). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Registers a UUID (any case; stored lowercase) for `ttlMs`. Registering a UUID that is already waiting throws
   * `AUDIOSOCKET_UUID_IN_USE`: two calls must never share one.
   */
  register(uuid: string, context: C, ttlMs: number): void {
    if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be > 0, got ${ttlMs}`);
    const key = normalizeUuid(uuid);
    const now = this.#now();
    this.#sweep(now);
    if (this.#entries.has(key)) {
      throw new AppError(`AudioSocket UUID ${key} is already registered`, {
        code: 'AUDIOSOCKET_UUID_IN_USE',
        category: 'conflict',
        details: { uuid: key },
      });
    }
    if (this.#entries.size >= this.#maxEntries) {
      throw new AppError(`AudioSocket UUID registry is full (${this.#maxEntries} waiting)`, {
        code: 'AUDIOSOCKET_REGISTRY_FULL',
        category: 'rate_limit',
        retryable: true,
        details: { maxEntries: this.#maxEntries },
      });
    }
    const expiresAt = now + ttlMs;
    this.#expired.delete(key);
    this.#entries.set(key, { context, expiresAt });
    if (expiresAt < this.#nextExpiry) this.#nextExpiry = expiresAt;
  }

  /** Removes a waiting UUID (the call ended before Asterisk connected). True if it was there. */
  unregister(uuid: string): boolean {
    return this.#entries.delete(uuid.toLowerCase());
  }

  /** True if the UUID is waiting and not expired. */
  has(uuid: string): boolean {
    const entry = this.#entries.get(uuid.toLowerCase());
    return entry !== undefined && entry.expiresAt > this.#now();
  }

  /** Claims a UUID: its context, once; or why not (never registered / already taken, or expired). */
  take(uuid: string): UuidTakeResult<C> {
    const key = uuid.toLowerCase();
    this.#sweep(this.#now());
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      return { ok: true, context: entry.context };
    }
    return { ok: false, reason: this.#expired.has(key) ? 'expired_uuid' : 'unknown_uuid' };
  }

  /** AudioSocketAdmission: admits registered, unexpired UUIDs (and consumes them). */
  admit(uuid: string): AdmissionDecision<C> {
    const result = this.take(uuid);
    if (result.ok) return { accept: true, context: result.context };
    return {
      accept: false,
      reason: result.reason,
      detail: result.reason === 'expired_uuid' ? 'was registered but expired before it connected' : 'is not registered',
    };
  }

  #sweep(now: number): void {
    if (now < this.#nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        this.#rememberExpired(key, entry.expiresAt);
      } else if (entry.expiresAt < next) {
        next = entry.expiresAt;
      }
    }
    this.#nextExpiry = next;
  }

  #rememberExpired(key: string, at: number): void {
    this.#expired.set(key, at);
    while (this.#expired.size > this.#expiredMemory) {
      const oldest = this.#expired.keys().next().value;
      if (oldest === undefined) break;
      this.#expired.delete(oldest);
    }
  }
}
