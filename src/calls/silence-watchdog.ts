/** What Asterisk says about a call's channels when asked (ARI `GET /channels/{id}`). */
export type ChannelLiveness =
  | { readonly kind: 'up' }
  /** A channel of the call no longer exists in Asterisk (404), so nothing will ever arrive again. */
  | { readonly kind: 'gone'; readonly channel: 'caller' | 'media' }
  /** ARI could not answer (network, 5xx): nothing is known, so the call is kept. */
  | { readonly kind: 'unknown'; readonly error: string };

/**
 * How a call tells a quiet caller from a dead leg.
 * - `ari` (Stasis calls): after `checkAfterMs` of inbound silence, and again every `checkAfterMs` while it lasts,
 *   ask ARI whether the call's channels still exist. The call ends only when one is gone.
 * - `limit` (dialplan-direct calls, no ARI): the call ends after `limitMs` of inbound silence; 0 never ends it
 *   (a dead peer is then found by TCP keepalive, and a hangup by the socket closing).
 */
export type SilenceRule =
  | { readonly kind: 'ari'; readonly checkAfterMs: number }
  | { readonly kind: 'limit'; readonly limitMs: number };

/** Why the watchdog ended a call: a channel that ARI no longer knows, or the configured silence limit. */
export type SilenceEndCause = 'channel_gone' | 'silence_limit';

/** What to do with a call after `silentMs` of inbound silence, given the rule and (for `ari`) ARI's answer. */
export type SilenceVerdict =
  | { readonly kind: 'keep' }
  | { readonly kind: 'check' }
  | { readonly kind: 'end'; readonly cause: SilenceEndCause };

/** The decision, pure: `liveness` is ARI's answer to a check just made, if any. */
export function silenceVerdict(
  rule: SilenceRule,
  silentMs: number,
  nextCheckAtMs: number,
  liveness?: ChannelLiveness,
): SilenceVerdict {
  switch (rule.kind) {
    case 'ari':
      if (liveness) return liveness.kind === 'gone' ? { kind: 'end', cause: 'channel_gone' } : { kind: 'keep' };
      return silentMs >= nextCheckAtMs ? { kind: 'check' } : { kind: 'keep' };
    case 'limit':
      return rule.limitMs > 0 && silentMs >= rule.limitMs ? { kind: 'end', cause: 'silence_limit' } : { kind: 'keep' };
  }
}

export interface SilenceWatchdogOptions {
  readonly rule: SilenceRule;
  /** Asks Asterisk about the call's channels; required by the `ari` rule. Must not reject. */
  readonly probe?: () => Promise<ChannelLiveness>;
  /** Called once when the call should end. */
  readonly onEnd: (cause: SilenceEndCause, silentMs: number, liveness?: ChannelLiveness) => void;
  /** Called with each check's answer while the call is kept (for logs). */
  readonly onChecked?: (liveness: ChannelLiveness, silentMs: number) => void;
}

/**
 * Watches a call's inbound silence (fed on every media-clock tick) and ends the call only for a dead leg, never for
 * a quiet caller. At most one ARI check is in flight; a check that finds the channels up re-arms for another
 * `checkAfterMs` of silence. Any real frame (silence back to 0) re-arms from the start.
 */
export class SilenceWatchdog {
  readonly #o: SilenceWatchdogOptions;
  #nextCheckAt: number;
  #lastSilent = 0;
  #checking = false;
  #ended = false;
  #closed = false;
  readonly stats = { checks: 0 };

  constructor(options: SilenceWatchdogOptions) {
    this.#o = options;
    this.#nextCheckAt = this.#checkAfter();
  }

  #checkAfter(): number {
    return this.#o.rule.kind === 'ari' ? this.#o.rule.checkAfterMs : Number.POSITIVE_INFINITY;
  }

  /** The caller has been silent on the wire for `silentMs` (0 right after a frame). */
  tick(silentMs: number): void {
    if (this.#ended || this.#closed) return;
    if (silentMs < this.#lastSilent) this.#nextCheckAt = this.#checkAfter();
    this.#lastSilent = silentMs;
    if (this.#checking) return;
    const verdict = silenceVerdict(this.#o.rule, silentMs, this.#nextCheckAt);
    switch (verdict.kind) {
      case 'keep':
        return;
      case 'end':
        this.#end(verdict.cause, silentMs);
        return;
      case 'check':
        this.#check(silentMs);
        return;
    }
  }

  /** Stops watching (the call is ending); a check in flight is ignored. Idempotent; resolves at once. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #check(silentMs: number): void {
    const probe = this.#o.probe;
    if (!probe) {
      this.#nextCheckAt = Number.POSITIVE_INFINITY;
      return;
    }
    this.#checking = true;
    this.stats.checks += 1;
    void probe()
      .catch((err: unknown): ChannelLiveness => ({ kind: 'unknown', error: String(err) }))
      .then((liveness) => {
        this.#checking = false;
        if (this.#ended || this.#closed) return;
        const verdict = silenceVerdict(this.#o.rule, silentMs, this.#nextCheckAt, liveness);
        if (verdict.kind === 'end') {
          this.#end(verdict.cause, this.#lastSilent, liveness);
          return;
        }
        this.#nextCheckAt = this.#lastSilent + this.#checkAfter();
        this.#o.onChecked?.(liveness, this.#lastSilent);
      });
  }

  #end(cause: SilenceEndCause, silentMs: number, liveness?: ChannelLiveness): void {
    this.#ended = true;
    this.#o.onEnd(cause, silentMs, liveness);
  }
}
