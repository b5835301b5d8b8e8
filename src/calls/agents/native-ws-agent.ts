import { type AudioFormat, type SampleRate, FRAME_MS } from '../../audio/format.js';
import { AppError } from '../../errors/app-error.js';
import { assertNever } from '../../lib/assert-never.js';
import type { Logger } from '../../observability/logger.js';
import {
  type AdapterEvent,
  type AgentCommand,
  type AgentErrorCode,
  AGENT_PROTOCOL_VERSION,
  AgentUtteranceTracker,
  agentErrorEvent,
  isDialplanTarget,
  parseAgentMessage,
} from '../../protocols/agent/index.js';
import type { AgentSocket, AgentSocketClose } from '../../transports/agent-ws/agent-socket.js';
import { connectAgentSocketWithRetry } from '../../transports/agent-ws/connect-with-retry.js';
import type { ReconnectPolicy } from '../../transports/agent-ws/reconnect-policy.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentAction, AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';

export interface NativeWsAgentOptions {
  url: string;
  secret: string | undefined;
  sampleRate: 8000 | 16000 | 24000;
  reconnect: ReconnectPolicy;
  logger: Logger;
}

type Phase = 'new' | 'offered' | 'accepted' | 'reconnecting' | 'closed';

/**
 * An agent speaking the native protocol v1 (docs/agent-protocol.md) over a WebSocket the adapter opens: JSON events
 * and commands as text frames, PCM16 audio as binary frames at the route's rate. A dropped connection is redialled
 * under the route's reconnect policy (the agent gets a fresh `incoming` with `customParameters.reconnect = "1"`);
 * when that fails the call gets its fallback.
 */
export class NativeWsAgent implements VoiceAgent {
  readonly kind = 'websocket';
  /** PCM16 at the offered rate, or at the rate the agent chose in `accept`. */
  #format: AudioFormat;
  readonly #o: NativeWsAgentOptions;
  readonly #log: Logger;
  #call!: CallInfo;
  #output!: AgentOutput;
  #socket: AgentSocket<AdapterEvent> | undefined;
  #phase: Phase = 'new';
  #tracker = new AgentUtteranceTracker();
  #answeredAt: number | undefined;
  #abort = new AbortController();
  #acceptWaiter: { resolve: () => void; reject: (e: AppError) => void } | undefined;

  constructor(options: NativeWsAgentOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#format = { encoding: 'pcm16', sampleRate: options.sampleRate as SampleRate };
  }

  get inputFormat(): AudioFormat {
    return this.#format;
  }

  get outputFormat(): AudioFormat {
    return this.#format;
  }

  async start(call: CallInfo, output: AgentOutput, signal: AbortSignal): Promise<void> {
    this.#call = call;
    this.#output = output;
    const abort = AbortSignal.any([signal, this.#abort.signal]);
    await this.#connectAndOffer(abort, false);
  }

  async #connectAndOffer(signal: AbortSignal, reconnect: boolean): Promise<void> {
    const socket = await connectAgentSocketWithRetry<AdapterEvent>({
      url: this.#o.url,
      ...(this.#o.secret ? { secret: this.#o.secret } : {}),
      callId: this.#call.callId,
      connectTimeoutMs: 5000,
      signal,
      logger: this.#log,
      policy: this.#o.reconnect,
      onRetry: (info) =>
        this.#log.info({ attempt: info.attempt, delayMs: info.delayMs }, 'agent connect failed; retrying'),
    });
    if (this.#phase === 'closed') {
      await socket.close();
      return;
    }
    this.#socket = socket;
    socket.on('text', (text) => this.#onText(text));
    socket.on('binary', (data) => this.#onBinary(data));
    socket.on('close', (c) => this.#onSocketClose(socket, c));
    this.#phase = 'offered';
    const accepted = new Promise<void>((resolve, reject) => {
      this.#acceptWaiter = { resolve, reject };
    });
    const onAbort = () =>
      this.#acceptWaiter?.reject(
        new AppError('agent did not accept in time', {
          code: 'AGENT_CONNECT_TIMEOUT',
          category: 'timeout',
          retryable: true,
        }),
      );
    signal.addEventListener('abort', onAbort, { once: true });
    this.#send(this.#incoming(reconnect));
    try {
      await accepted;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#acceptWaiter = undefined;
    }
  }

  #incoming(reconnect: boolean): AdapterEvent {
    const c = this.#call;
    const stasis = c.channelId !== undefined;
    return {
      event: 'incoming',
      callId: c.callId,
      timestamp: Date.now(),
      protocolVersion: AGENT_PROTOCOL_VERSION,
      caller: c.caller ?? '',
      callee: c.callee ?? '',
      route: c.route.name,
      direction: c.direction,
      channel: {
        mode: stasis ? 'stasis' : 'audiosocket',
        ...(c.channelId !== undefined ? { id: c.channelId } : {}),
        ...(c.customParameters.audiosocketUuid !== undefined
          ? { audiosocketUuid: c.customParameters.audiosocketUuid }
          : {}),
      },
      audio: { encoding: 'pcm16', sampleRate: this.#format.sampleRate as 8000 | 16000 | 24000, frameMs: FRAME_MS },
      customParameters: { ...c.customParameters, ...(reconnect ? { reconnect: '1' } : {}) },
    };
  }

  sendAudio(chunk: Buffer): void {
    if (this.#phase === 'accepted') this.#socket?.sendBinary(chunk);
  }

  notify(notice: CallNotice): void {
    const base = { callId: this.#call.callId, timestamp: Date.now() };
    switch (notice.type) {
      case 'answer':
        this.#answeredAt = Date.now();
        this.#send({ event: 'answer', ...base });
        return;
      case 'dtmf':
        this.#send({
          event: 'dtmf',
          ...base,
          digit: notice.digit,
          ...(notice.durationMs !== undefined ? { durationMs: notice.durationMs } : {}),
        });
        return;
      case 'speaking':
        this.#send({ event: 'speaking', ...base, atMs: notice.atMs });
        return;
      case 'silence':
        this.#send({ event: 'silence', ...base, atMs: notice.atMs, durationMs: notice.durationMs });
        return;
      case 'utteranceStart':
        this.#send({ event: 'trackStart', ...base, playId: notice.utteranceId });
        return;
      case 'utteranceEnd':
        this.#send({ event: 'trackEnd', ...base, playId: notice.utteranceId, durationMs: notice.playedMs });
        return;
      case 'interruption':
        this.#tracker.interrupted(notice.utteranceId);
        this.#send({
          event: 'interruption',
          ...base,
          playId: notice.utteranceId,
          playedMs: notice.playedMs,
          totalMs: notice.totalMs,
        });
        return;
      case 'mark':
        this.#send({ event: 'mark', ...base, name: notice.name });
        return;
      case 'playoutDrained': {
        const ended = this.#tracker.drained();
        if (ended !== undefined) this.#output.endUtterance(ended);
        return;
      }
      case 'markCleared':
        return;
      case 'error':
        this.#sendError(notice.code as AgentErrorCode, notice.message, notice.command);
        return;
      default:
        assertNever(notice, 'call notice');
    }
  }

  async close(reason: CloseReason, initiator: HangupInitiator): Promise<void> {
    if (this.#phase === 'closed') return;
    const wasAccepted = this.#phase === 'accepted' || this.#phase === 'offered';
    this.#phase = 'closed';
    this.#abort.abort();
    const socket = this.#socket;
    if (!socket) return;
    if (wasAccepted && socket.isOpen) {
      const now = Date.now();
      socket.sendJson({
        event: 'hangup',
        callId: this.#call.callId,
        timestamp: now,
        reason,
        initiator,
        startTime: this.#call.startedAt.getTime(),
        ...(this.#answeredAt !== undefined ? { answerTime: this.#answeredAt } : {}),
        hangupTime: now,
      });
    }
    await socket.close(1000, 'call ended');
  }

  #send(event: AdapterEvent): void {
    if (this.#phase === 'closed') return;
    this.#socket?.sendJson(event);
  }

  #sendError(code: AgentErrorCode, message: string, command?: string, playId?: string): void {
    this.#send(
      agentErrorEvent(this.#call.callId, Date.now(), code, message, {
        ...(command ? { command } : {}),
        ...(playId ? { playId } : {}),
      }),
    );
  }

  #onBinary(data: Buffer): void {
    if (this.#phase !== 'accepted') return;
    const a = this.#tracker.frame();
    if (a.action === 'discard') return;
    this.#output.audio(data, { utteranceId: a.playId, protected: a.protected });
  }

  #onText(text: string): void {
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.#log.warn({ code: parsed.error.code, detail: parsed.error.message }, 'agent sent a bad message');
      this.#sendError(parsed.error.code, parsed.error.message, parsed.error.command);
      return;
    }
    this.#onCommand(parsed.command);
  }

  #onCommand(cmd: AgentCommand): void {
    switch (cmd.command) {
      case 'accept':
        if (this.#phase === 'offered') {
          if (cmd.audio && cmd.audio.sampleRate !== this.#format.sampleRate) {
            this.#format = { encoding: 'pcm16', sampleRate: cmd.audio.sampleRate };
            this.#log.info({ sampleRate: cmd.audio.sampleRate }, 'agent chose its audio rate');
          }
          this.#phase = 'accepted';
          this.#acceptWaiter?.resolve();
        } else this.#sendError('invalid_state', 'accept is only valid after incoming', 'accept');
        return;
      case 'reject':
        if (this.#phase === 'offered') {
          this.#acceptWaiter?.reject(
            new AppError(`agent rejected the call: ${cmd.reason}`, {
              code: 'AGENT_REJECTED',
              category: 'application',
              details: { reason: cmd.reason },
            }),
          );
        } else this.#sendError('invalid_state', 'reject is only valid before accept', 'reject');
        return;
      case 'ringing':
        return;
      case 'audio.start': {
        const r = this.#tracker.start(cmd.playId, cmd.protected ?? false);
        if (r.implicitlyEnded !== undefined) this.#output.endUtterance(r.implicitlyEnded);
        return;
      }
      case 'audio.end': {
        const r = this.#tracker.end(cmd.playId);
        if (r.ok) this.#output.endUtterance(cmd.playId);
        else
          this.#sendError(
            'invalid_state',
            `audio.end for ${cmd.playId}, but the open utterance is ${r.open ?? 'none'}`,
            'audio.end',
            cmd.playId,
          );
        return;
      }
      case 'interrupt':
        this.#output.interrupt();
        return;
      case 'mark':
        this.#output.mark(cmd.name);
        return;
      case 'hangup':
        this.#act(
          { type: 'hangup', ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}) },
          'hangup',
          'internal_error',
        );
        return;
      case 'refer':
        this.#act(
          {
            type: 'transfer',
            target: isDialplanTarget(cmd.target)
              ? {
                  context: cmd.target.context,
                  extension: cmd.target.extension,
                  ...(cmd.target.priority !== undefined ? { priority: cmd.target.priority } : {}),
                }
              : { endpoint: cmd.target.endpoint },
          },
          'refer',
          'refer_failed',
        );
        return;
      case 'play': {
        const media = cmd.file !== undefined ? `sound:${cmd.file}` : `sound:${cmd.url}`;
        this.#act(
          { type: 'play', media, ...(cmd.playId !== undefined ? { playId: cmd.playId } : {}) },
          'play',
          'play_failed',
        );
        return;
      }
      case 'dtmf':
        this.#act({ type: 'dtmf', digits: cmd.digits }, 'dtmf', 'dtmf_failed');
        return;
      case 'mute':
        this.#act({ type: 'mute' }, 'mute', 'internal_error');
        return;
      case 'unmute':
        this.#act({ type: 'unmute' }, 'unmute', 'internal_error');
        return;
      case 'unsupported':
        this.#sendError('unsupported_command', `${cmd.name} needs an engine this adapter does not run`, cmd.name);
        return;
      default:
        assertNever(cmd, 'agent command');
    }
  }

  #act(action: AgentAction, command: string, failCode: AgentErrorCode): void {
    if (this.#phase !== 'accepted') {
      this.#sendError('invalid_state', `${command} before accept`, command);
      return;
    }
    this.#output.act(action).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      this.#log.warn({ err, command }, 'agent command failed');
      this.#sendError(
        err instanceof AppError && err.code === 'ACTION_UNAVAILABLE' ? 'invalid_state' : failCode,
        message,
        command,
      );
    });
  }

  #onSocketClose(socket: AgentSocket<AdapterEvent>, info: AgentSocketClose): void {
    if (socket !== this.#socket || this.#phase === 'closed' || info.initiator === 'adapter') return;
    this.#log.warn({ code: info.code, reason: info.reason, initiator: info.initiator }, 'agent connection lost');
    if (this.#phase === 'offered') {
      this.#acceptWaiter?.reject(
        new AppError('agent closed the connection before accepting', {
          code: 'AGENT_DISCONNECTED',
          category: 'connectivity',
          retryable: true,
        }),
      );
      return;
    }
    this.#phase = 'reconnecting';
    this.#tracker = new AgentUtteranceTracker();
    this.#connectAndOffer(this.#abort.signal, true).then(
      () => this.#log.info('agent reconnected'),
      (err: unknown) => {
        if (this.#phase === 'closed') return;
        this.#output.fail(
          err instanceof AppError
            ? err
            : new AppError('agent reconnect failed', {
                code: 'AGENT_DISCONNECTED',
                category: 'connectivity',
                cause: err,
              }),
        );
      },
    );
  }
}
