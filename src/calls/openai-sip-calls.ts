/**
 * SIP-path calls waiting for the provider's incoming-call webhook, by our call id (the `X-Ava-Call-Id` SIP header
 * the dial adds and the webhook's `sip_headers` carry back). The `openai-sip` agent registers its call before
 * Asterisk dials; the webhook endpoint takes it once, verified, and hands it the provider's call id.
 */
export interface PendingSipCall {
  readonly callId: string;
  readonly route: string;
  /**
   * The provider's incoming call for this call: accept it with the route's session. Resolves once accepted;
   * rejects (an AppError) when accepting failed.
   */
  incoming(providerCallId: string): Promise<void>;
}

export class OpenAiSipCalls {
  readonly #pending = new Map<string, PendingSipCall>();

  /** Registers a call; returns its removal (idempotent). */
  expect(call: PendingSipCall): () => void {
    this.#pending.set(call.callId, call);
    return () => {
      if (this.#pending.get(call.callId) === call) this.#pending.delete(call.callId);
    };
  }

  get(callId: string): PendingSipCall | undefined {
    return this.#pending.get(callId);
  }

  /** Takes the call out: an incoming call is accepted once. */
  take(callId: string): PendingSipCall | undefined {
    const call = this.#pending.get(callId);
    if (call) this.#pending.delete(callId);
    return call;
  }

  get size(): number {
    return this.#pending.size;
  }
}
