import { type AudioFormat, ULAW8K } from '../../audio/format.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import {
  parseTwilioAgentMessage,
  twilioPayloadToUlaw,
  twilioSidFrom,
  TwilioStreamEncoder,
} from '../../protocols/twilio/index.js';
import type { AgentSocket, AgentSocketClose } from '../../transports/agent-ws/agent-socket.js';
import { connectAgentSocketWithRetry } from '../../transports/agent-ws/connect-with-retry.js';
import type { RetryPolicy } from '../../lib/retry-policy.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';

export interface TwilioWsAgentOptions {
  url: string;
  secret: string | undefined;
  reconnect: RetryPolicy;
  logger: Logger;
}

/**
 * An agent written for Twilio Media Streams, served unchanged: the adapter opens the WebSocket, sends `connected`
 * and `start`, then 20 ms base64 μ-law `media` messages; it plays the agent's `media`, answers each `mark` once the
 * audio before it has actually been played, and on `clear` flushes playout and echoes the pending marks, as Twilio
 * does. Audio is μ-law 8 kHz both ways, so an 8 kHz leg needs G.711 coding only.
 */
export class TwilioWsAgent implements VoiceAgent {
  readonly kind = 'twilio';
  readonly inputFormat: AudioFormat = ULAW8K;
  readonly outputFormat: AudioFormat = ULAW8K;
  readonly #o: TwilioWsAgentOptions;
  readonly #log: Logger;
  #call!: CallInfo;
  #output!: AgentOutput;
  #socket: AgentSocket | undefined;
  #encoder: TwilioStreamEncoder | undefined;
  #closed = false;
  /** Agent audio between two clears is one utterance for playout accounting. */
  #utterance = 1;

  constructor(options: TwilioWsAgentOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    this.#call = call;
    this.#output = output;
    await this.#connect(signal);
  }

  async #connect(signal: AbortSignal): Promise<void> {
    const socket = await connectAgentSocketWithRetry({
      url: this.#o.url,
      ...(this.#o.secret ? { secret: this.#o.secret } : {}),
      callId: this.#call.callId,
      connectTimeoutMs: 5000,
      signal,
      logger: this.#log,
      policy: this.#o.reconnect,
    });
    if (this.#closed) {
      await socket.close();
      return;
    }
    const encoder = new TwilioStreamEncoder({
      streamSid: twilioSidFrom('MZ', `${this.#call.callId}:${Date.now()}`),
      callSid: twilioSidFrom('CA', this.#call.callId),
      accountSid: twilioSidFrom('AC', this.#call.route.name),
      customParameters: {
        ...this.#call.customParameters,
        ...(this.#call.caller !== undefined ? { From: this.#call.caller } : {}),
        ...(this.#call.callee !== undefined ? { To: this.#call.callee } : {}),
      },
    });
    this.#socket = socket;
    this.#encoder = encoder;
    socket.on('text', (text) => this.#onText(text));
    socket.on('close', (c) => this.#onClose(socket, c));
    socket.sendJson(encoder.connected());
    socket.sendJson(encoder.start());
  }

  sendAudio(chunk: Buffer): void {
    const enc = this.#encoder;
    if (!enc || enc.state !== 'started' || this.#closed) return;
    const msg = enc.media(chunk);
    this.#socket?.sendJson(msg);
  }

  notify(notice: CallNotice): void {
    const enc = this.#encoder;
    if (!enc || enc.state !== 'started' || this.#closed) return;
    switch (notice.type) {
      case 'dtmf':
        this.#socket?.sendJson(enc.dtmf(notice.digit));
        return;
      case 'mark':
      case 'markCleared':
        this.#socket?.sendJson(enc.mark(notice.name));
        return;
      case 'interruption':
        // Local barge-in flushed playout; the next audio the agent sends is a new utterance.
        this.#utterance += 1;
        return;
      default:
        return;
    }
  }

  async close(_reason: CloseReason, _initiator: HangupInitiator): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.#socket;
    const enc = this.#encoder;
    if (!socket) return;
    if (enc?.state === 'started' && socket.isOpen) socket.sendJson(enc.stop());
    await socket.close(1000, 'call ended');
  }

  #onText(text: string): void {
    const parsed = parseTwilioAgentMessage(text);
    if (!parsed.ok) {
      this.#log.warn(
        { code: parsed.error.code, detail: parsed.error.message },
        'agent sent a bad Twilio message; ignored',
      );
      return;
    }
    const msg = parsed.message;
    switch (msg.event) {
      case 'media':
        this.#output.audio(twilioPayloadToUlaw(msg.media.payload), { utteranceId: `twilio-${this.#utterance}` });
        return;
      case 'mark':
        this.#output.mark(msg.mark.name);
        return;
      case 'clear':
        this.#output.interrupt();
        this.#utterance += 1;
        return;
    }
  }

  #onClose(socket: AgentSocket, info: AgentSocketClose): void {
    if (socket !== this.#socket || this.#closed || info.initiator === 'adapter') return;
    this.#log.warn({ code: info.code, reason: info.reason }, 'Twilio-dialect agent closed the stream');
    this.#output.fail(
      new AppError('agent closed the media stream', {
        code: 'AGENT_DISCONNECTED',
        category: 'connectivity',
        retryable: true,
      }),
    );
  }
}
