import { createHash, randomBytes } from 'node:crypto';

/** The call a one-time token admits an agent connection to. */
export interface TokenBinding {
  readonly callId: string;
  readonly route: string;
  /** What the call speaks on the connection: `native` or `pipecat`. */
  readonly dialect: string;
}

/** Why a token was not accepted; `wrong_call` when the connection named another call than the token's. */
export type TokenRefusal = 'unknown' | 'used' | 'expired' | 'wrong_call';

export type TokenRedemption =
  | { readonly ok: true; readonly binding: TokenBinding }
  | { readonly ok: false; readonly reason: TokenRefusal };

export interface OneTimeTokensOptions {
  /** How long a token is valid after it is issued. Default 30 s. */
  readonly ttlMs?: number;
  /** Tokens kept at once (outstanding plus recently used or expired); the oldest are forgotten first. Default 10000. */
  readonly maxTokens?: number;
  /** Milliseconds clock; `Date.now` unless a test steps time. */
  readonly now?: () => number;
}

interface Entry {
  readonly binding: TokenBinding;
  readonly expiresAt: number;
  used: boolean;
}

/** Number of random bytes in a token (256 bits), sent base64url. */
const TOKEN_BYTES = 32;

function keyOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/**
 * Per-call one-time tokens for agents that connect in (`/v1/agents/ws?token=…`): issued when a call of a dial-in
 * route starts its agent, valid for a short TTL, accepted once, and only for the call they were issued for. Held
 * in memory of the process that owns the call (the call waits there for its agent); only a digest of each token is
 * kept. A used or expired token is remembered until it would have expired twice over, so a second use is refused
 * as `used`/`expired` rather than `unknown`; the store is bounded (oldest entries go first).
 */
export class OneTimeTokens {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: OneTimeTokensOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#max = options.maxTokens ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** A new token for `binding`'s call, valid for the TTL. */
  issue(binding: TokenBinding): string {
    this.#sweep();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    this.#entries.set(keyOf(token), { binding, expiresAt: this.#now() + this.#ttlMs, used: false });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return token;
  }

  /**
   * Accepts `token` once. With `callId`, the connection asked for that call: a token of another call is refused
   * (and stays valid for its own call).
   */
  redeem(token: string, callId?: string): TokenRedemption {
    const entry = this.#entries.get(keyOf(token));
    if (entry === undefined) return { ok: false, reason: 'unknown' };
    if (entry.used) return { ok: false, reason: 'used' };
    if (this.#now() >= entry.expiresAt) return { ok: false, reason: 'expired' };
    if (callId !== undefined && callId !== entry.binding.callId) return { ok: false, reason: 'wrong_call' };
    entry.used = true;
    return { ok: true, binding: entry.binding };
  }

  /** Invalidates every unused token of a call (it was claimed otherwise, or ended). */
  revoke(callId: string): void {
    for (const entry of this.#entries.values()) if (entry.binding.callId === callId) entry.used = true;
  }

  /** Forgets entries expired for longer than one TTL. */
  #sweep(): void {
    const horizon = this.#now() - this.#ttlMs;
    for (const [key, entry] of this.#entries) if (entry.expiresAt < horizon) this.#entries.delete(key);
  }
}

/** What a refusal means, for the HTTP answer and the log. */
export function describeTokenRefusal(reason: TokenRefusal): string {
  switch (reason) {
    case 'unknown':
      return 'unknown one-time token';
    case 'used':
      return 'this one-time token was already used';
    case 'expired':
      return 'this one-time token has expired';
    case 'wrong_call':
      return 'this one-time token belongs to another call';
  }
}
