import { type AudioFormat, PCM8K } from '../../audio/format.js';
import type { OpenAiSipAgentConfig } from '../../config/openai-sip-route.js';
import type { RealtimeAgentConfig } from '../../config/realtime-route.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import { REALTIME_PCMU } from '../../protocols/realtime/audio-formats.js';
import type { RealtimeCallsClient } from '../../transports/realtime/realtime-calls-client.js';
import { sidebandUrl } from '../../transports/realtime/realtime-calls-client.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { OpenAiSipCalls } from '../openai-sip-calls.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';
import type { RealtimeAgent } from './realtime-agent.js';
import { planSession, type RouteFunctionTool, withoutAudioFormats } from './realtime-session-config.js';

export interface OpenAiSipAgentOptions {
  readonly config: OpenAiSipAgentConfig;
  readonly routeTools: readonly RouteFunctionTool[];
  readonly sipCalls: OpenAiSipCalls;
  readonly calls: RealtimeCallsClient;
  /** The Realtime agent that runs the sideband (tools, transcripts, greeting, reconnect), on `sidebandUrl`. */
  makeSideband(sidebandUrl: string): RealtimeAgent;
  readonly logger: Logger;
}

/** The relay settings a SIP call's sideband runs with: GA, no audio of ours, no barge-in of ours. */
export function sidebandRealtimeConfig(c: OpenAiSipAgentConfig): RealtimeAgentConfig {
  return {
    ...c,
    kind: 'openai-realtime',
    apiVersion: 'ga',
    audio: 'pcmu',
    appendMs: 100,
    bargeIn: 'off',
    replayItems: 50,
  };
}

/**
 * The OpenAI Realtime agent over SIP: the caller's audio goes from Asterisk to the provider over SIP/SRTP and
 * never passes here. `start` registers the call for the incoming-call webhook, accepts the provider's call with the
 * route's session (instructions, voice, tools, turn detection) when the webhook comes, then runs the session's
 * sideband WebSocket with the Realtime relay's own code (tool calls as jobs after `response.done`, transcripts,
 * greeting, built-in hangup/transfer, reconnect). Closing hangs the provider's call up too.
 */
export class OpenAiSipAgent implements VoiceAgent {
  readonly kind = 'openai-sip';
  readonly #o: OpenAiSipAgentOptions;
  readonly #log: Logger;
  #providerCallId: string | undefined;
  #sideband: RealtimeAgent | undefined;
  #unregister: (() => void) | undefined;
  #accepting = false;
  #closed = false;

  constructor(options: OpenAiSipAgentOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** No audio passes through the adapter; formats only satisfy the interface. */
  get inputFormat(): AudioFormat {
    return PCM8K;
  }

  get outputFormat(): AudioFormat {
    return PCM8K;
  }

  /** The provider's id of the call, once accepted. */
  get providerCallId(): string | undefined {
    return this.#providerCallId;
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    const cfg = this.#o.config;
    // Planned now, so a bad per-call override fails before anything is dialled or accepted.
    const plan = planSession(sidebandRealtimeConfig(cfg), call.customParameters, REALTIME_PCMU, this.#o.routeTools);
    const acceptBody = { ...withoutAudioFormats(plan.body), type: 'realtime', model: cfg.model };
    let onAccepted!: (providerCallId: string) => void;
    const accepted = new Promise<string>((resolve) => {
      onAccepted = resolve;
    });
    // Registered before this method first waits: the Stasis side dials only after `start` was called.
    this.#unregister = this.#o.sipCalls.expect({
      callId: call.callId,
      route: call.route.name,
      incoming: async (providerCallId) => {
        if (this.#closed) throw new AppError('the call has ended', { code: 'CALL_ENDED', category: 'conflict' });
        if (this.#accepting)
          throw new AppError('the call is being accepted already', {
            code: 'SIP_ALREADY_ACCEPTED',
            category: 'conflict',
          });
        this.#accepting = true;
        const t0 = performance.now();
        try {
          await this.#o.calls.accept(providerCallId, acceptBody, signal);
        } catch (err) {
          this.#accepting = false;
          throw err;
        }
        this.#providerCallId = providerCallId;
        this.#log.info(
          { providerCallId, acceptMs: Math.round(performance.now() - t0) },
          'SIP call accepted with the route session',
        );
        onAccepted(providerCallId);
      },
    });
    const providerCallId = await untilAborted(accepted, signal, cfg.acceptTimeoutMs);
    this.#unregister();
    if (this.#closed) return;
    const sideband = this.#o.makeSideband(sidebandUrl(cfg.url, providerCallId));
    this.#sideband = sideband;
    await sideband.start(call, output, signal);
  }

  sendAudio(): void {
    // Never called: the call has no media leg.
  }

  notify(notice: CallNotice): void {
    this.#sideband?.notify(notice);
  }

  sendMessage(text: string, options: { interrupt: boolean }): void {
    this.#sideband?.sendMessage(text, options);
  }

  async close(reason: CloseReason, initiator: HangupInitiator): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregister?.();
    await this.#sideband?.close(reason, initiator);
    const id = this.#providerCallId;
    // Asterisk's BYE ends the provider's call too; the API hangup makes sure of it (a 404 means it is gone already).
    if (id !== undefined) {
      await this.#o.calls.hangup(id).catch((err: unknown) => {
        this.#log.debug({ err, providerCallId: id }, 'provider hangup not needed or refused');
      });
    }
  }
}

/** Resolves with `p`, or rejects with `SIP_ACCEPT_TIMEOUT` / the abort reason. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new AppError(`no incoming-call webhook accepted within ${timeoutMs} ms`, {
          code: 'SIP_ACCEPT_TIMEOUT',
          category: 'timeout',
          retryable: false,
        }),
      );
    }, timeoutMs);
    const onAbort = (): void => {
      done();
      reject(
        new AppError('waiting for the incoming-call webhook was cancelled', {
          code: 'SIP_ACCEPT_ABORTED',
          category: 'connectivity',
          cause: signal.reason,
        }),
      );
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        done();
        resolve(v);
      },
      (err: unknown) => {
        done();
        reject(err);
      },
    );
  });
}
