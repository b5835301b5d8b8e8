import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import {
  type AgentErrorCode,
  iceCandidateFields,
  parseWebRtcSignalCommand,
  type WebRtcCodecName,
  type WebRtcSignalCommand,
  type WebRtcSignalEvent,
} from '../../protocols/agent/index.js';
import type { WebRtcPeer } from '../../transports/webrtc/webrtc-peer.js';

export interface WebRtcSdpExchangeOptions {
  readonly peer: WebRtcPeer;
  readonly callId: string;
  readonly send: (event: WebRtcSignalEvent) => void;
  readonly sendError: (code: AgentErrorCode, message: string, command?: string) => void;
  readonly logger: Logger;
}

/** Remote candidates held until the answer is applied; more are ignored. */
const MAX_PENDING_CANDIDATES = 64;

/**
 * The adapter's side of one offer/answer exchange over the control channel (docs/agent-protocol.md §8): sends the
 * offer, waits for the agent's `answer`, applies it, and feeds trickled `candidate`s to the peer (holding those that
 * arrive before the answer). Local candidates gathered late go out as `candidate` events.
 */
export class WebRtcSdpExchange {
  readonly #o: WebRtcSdpExchangeOptions;
  #answerWaiter: { resolve: (sdp: string) => void; reject: (e: AppError) => void } | undefined;
  #answered = false;
  readonly #pending: WebRtcSignalCommand[] = [];

  constructor(options: WebRtcSdpExchangeOptions) {
    this.#o = options;
    options.peer.on('localCandidate', (c) =>
      options.send({ event: 'candidate', callId: options.callId, timestamp: Date.now(), ...c }),
    );
  }

  /** Offer → answer → applied. Resolves with the codec the answer settles on; rejects when `signal` fires first. */
  async negotiate(signal: AbortSignal): Promise<{ name: WebRtcCodecName; payloadType: number }> {
    const answered = new Promise<string>((resolve, reject) => {
      this.#answerWaiter = { resolve, reject };
    });
    // Rejected by an abort while the offer is still being made, before anything awaits it: not unhandled.
    answered.catch(() => undefined);
    const onAbort = (): void =>
      this.#answerWaiter?.reject(
        new AppError('the agent sent no SDP answer in time', {
          code: 'AGENT_CONNECT_TIMEOUT',
          category: 'timeout',
          retryable: true,
        }),
      );
    signal.addEventListener('abort', onAbort, { once: true });
    let answerSdp: string;
    try {
      const offer = await this.#o.peer.createOffer();
      this.#o.send({ event: 'offer', callId: this.#o.callId, timestamp: Date.now(), sdp: offer });
      if (signal.aborted) onAbort();
      answerSdp = await answered;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#answerWaiter = undefined;
    }
    const codec = await this.#o.peer.acceptAnswer(answerSdp);
    this.#answered = true;
    for (const c of this.#pending.splice(0)) this.#addCandidate(c);
    return codec;
  }

  /** Handles an agent text frame if it is signalling (`answer`, `candidate`); false otherwise. */
  onText(text: string): boolean {
    const parsed = parseWebRtcSignalCommand(text);
    if (!parsed.signal) return false;
    if (!parsed.ok) {
      this.#o.sendError(parsed.error.code, parsed.error.message, parsed.error.command);
      return true;
    }
    const cmd = parsed.message;
    switch (cmd.command) {
      case 'answer':
        if (this.#answerWaiter) this.#answerWaiter.resolve(cmd.sdp);
        else this.#o.sendError('invalid_state', 'answer is only valid after an offer, once', 'answer');
        return true;
      case 'candidate':
        if (this.#answered) this.#addCandidate(cmd);
        else if (this.#pending.length < MAX_PENDING_CANDIDATES) this.#pending.push(cmd);
        return true;
    }
  }

  /** Ends a pending wait for the answer (the call ended). */
  cancel(): void {
    this.#answerWaiter?.reject(new AppError('the call ended', { code: 'AGENT_CLOSED', category: 'application' }));
  }

  #addCandidate(cmd: WebRtcSignalCommand): void {
    if (cmd.command !== 'candidate') return;
    this.#o.peer.addRemoteCandidate(iceCandidateFields(cmd)).catch((err: unknown) => {
      this.#o.logger.debug({ err, candidate: cmd.candidate }, 'remote ICE candidate refused');
      this.#o.sendError('invalid_command', `candidate refused: ${(err as Error).message}`, 'candidate');
    });
  }
}
