import { AppError } from '../../errors/app-error.js';
import { assertNever } from '../../lib/assert-never.js';
import type { Logger } from '../../observability/logger.js';
import {
  type AcceptCommand,
  type AdapterEvent,
  type AgentCommand,
  type AgentErrorCode,
  AgentUtteranceTracker,
  agentErrorEvent,
  type IncomingEvent,
  isDialplanTarget,
  parseAgentMessage,
} from '../../protocols/agent/index.js';
import type { AgentSocket, AgentSocketClose } from '../../transports/agent-ws/agent-socket.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { AgentAction, AgentOutput, CallInfo, CallNotice, TransferTarget } from '../voice-agent.js';

export interface AgentControlChannelOptions<Out extends { event: string }> {
  /** An open socket to the agent (dialled by the adapter, or accepted from the agent). */
  readonly socket: AgentSocket<AdapterEvent | Out>;
  readonly call: CallInfo;
  readonly output: AgentOutput;
  readonly logger: Logger;
  /** When the call was answered (kept by the owner across reconnects), for the final `hangup` event. */
  readonly answeredAt: () => number | undefined;
  /** A binary frame from the agent after `accept`. */
  readonly onBinary: (data: Buffer) => void;
  /** Text frames offered here first (e.g. WebRTC signalling); return true when the frame was handled. */
  readonly onExtensionText?: (text: string) => boolean;
  /** The socket closed after `accept`, not through `close()`. */
  readonly onLost: (info: AgentSocketClose) => void;
}

type Phase = 'new' | 'offered' | 'accepted' | 'lost' | 'closed';

/**
 * The native protocol v1 (docs/agent-protocol.md) over one agent socket, for one call: `incoming` → `accept` /
 * `reject`, call notices as events, the agent's commands carried out on the call, utterance bookkeeping for agent
 * audio, and the final `hangup`. How audio travels (binary frames, RTP) and how the socket was obtained are the
 * owner's business: agent audio comes back through `agentAudio()`, binary frames through `onBinary`.
 */
export class AgentControlChannel<Out extends { event: string } = never> {
  readonly socket: AgentSocket<AdapterEvent | Out>;
  readonly #o: AgentControlChannelOptions<Out>;
  readonly #log: Logger;
  readonly #tracker = new AgentUtteranceTracker();
  #phase: Phase = 'new';
  #acceptWaiter: { resolve: (c: AcceptCommand) => void; reject: (e: AppError) => void } | undefined;

  constructor(options: AgentControlChannelOptions<Out>) {
    this.#o = options;
    this.#log = options.logger;
    this.socket = options.socket;
    options.socket.on('text', (text) => this.#onText(text));
    options.socket.on('binary', (data) => {
      if (this.#phase === 'accepted') options.onBinary(data);
    });
    options.socket.on('close', (c) => this.#onSocketClose(c));
  }

  /** True once the agent accepted and until the channel is lost or closed. */
  get accepted(): boolean {
    return this.#phase === 'accepted';
  }

  /**
   * Sends `incoming` and resolves with the agent's `accept`. Rejects with `AGENT_REJECTED`, `AGENT_DISCONNECTED`
   * (socket closed first) or `AGENT_CONNECT_TIMEOUT` (signal fired first).
   */
  async offer(incoming: IncomingEvent, signal: AbortSignal): Promise<AcceptCommand> {
    if (this.#phase !== 'new') throw new Error('offer() is called once per channel');
    this.#phase = 'offered';
    const accepted = new Promise<AcceptCommand>((resolve, reject) => {
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
    this.send(incoming);
    try {
      return await accepted;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#acceptWaiter = undefined;
    }
  }

  /**
   * The agent placed this call itself (`invite`): there is nothing to offer, the channel is accepted from the
   * start, with no `incoming` sent.
   */
  adopt(): void {
    if (this.#phase !== 'new') throw new Error('adopt() is for a new channel');
    this.#phase = 'accepted';
  }

  /** Tells the agent what happened on the call. */
  notify(notice: CallNotice): void {
    const base = { callId: this.#o.call.callId, timestamp: Date.now() };
    switch (notice.type) {
      case 'answer':
        this.send({ event: 'answer', ...base });
        return;
      case 'dtmf':
        this.send({
          event: 'dtmf',
          ...base,
          digit: notice.digit,
          ...(notice.durationMs !== undefined ? { durationMs: notice.durationMs } : {}),
        });
        return;
      case 'speaking':
        this.send({ event: 'speaking', ...base, atMs: notice.atMs });
        return;
      case 'silence':
        this.send({ event: 'silence', ...base, atMs: notice.atMs, durationMs: notice.durationMs });
        return;
      case 'utteranceStart':
        this.send({ event: 'trackStart', ...base, playId: notice.utteranceId });
        return;
      case 'utteranceEnd':
        this.send({ event: 'trackEnd', ...base, playId: notice.utteranceId, durationMs: notice.playedMs });
        return;
      case 'interruption':
        this.#tracker.interrupted(notice.utteranceId);
        this.send({
          event: 'interruption',
          ...base,
          playId: notice.utteranceId,
          playedMs: notice.playedMs,
          totalMs: notice.totalMs,
        });
        return;
      case 'mark':
        this.send({ event: 'mark', ...base, name: notice.name });
        return;
      case 'playoutDrained': {
        const ended = this.#tracker.drained();
        if (ended !== undefined) this.#o.output.endUtterance(ended);
        return;
      }
      case 'markCleared':
        return;
      case 'error':
        this.sendError(notice.code as AgentErrorCode, notice.message, notice.command);
        return;
      case 'transfer': {
        const { type: _type, ...step } = notice;
        this.send({ event: 'transfer', ...base, ...step });
        return;
      }
      default:
        assertNever(notice, 'call notice');
    }
  }

  /** Agent audio (in the agent's output format) for the caller, assigned to the open utterance. */
  agentAudio(data: Buffer): void {
    if (this.#phase !== 'accepted') return;
    const a = this.#tracker.frame();
    if (a.action === 'discard') return;
    this.#o.output.audio(data, { utteranceId: a.playId, protected: a.protected });
  }

  /** Sends an event unless the channel is closed. */
  send(event: AdapterEvent | Out): void {
    if (this.#phase === 'closed') return;
    this.socket.sendJson(event);
  }

  sendError(code: AgentErrorCode, message: string, command?: string, playId?: string): void {
    this.send(
      agentErrorEvent(this.#o.call.callId, Date.now(), code, message, {
        ...(command ? { command } : {}),
        ...(playId ? { playId } : {}),
      }),
    );
  }

  /** Sends the final `hangup` (if the call was offered or accepted) and closes the socket; idempotent. */
  async close(reason: CloseReason, initiator: HangupInitiator, cause?: number): Promise<void> {
    if (this.#phase === 'closed') return;
    const wasLive = this.#phase === 'accepted' || this.#phase === 'offered';
    this.#phase = 'closed';
    const socket = this.socket;
    if (wasLive && socket.isOpen) {
      const now = Date.now();
      const answeredAt = this.#o.answeredAt();
      socket.sendJson({
        event: 'hangup',
        callId: this.#o.call.callId,
        timestamp: now,
        reason,
        initiator,
        ...(cause !== undefined ? { cause } : {}),
        startTime: this.#o.call.startedAt.getTime(),
        ...(answeredAt !== undefined ? { answerTime: answeredAt } : {}),
        hangupTime: now,
      });
    }
    await socket.close(1000, 'call ended');
  }

  #onText(text: string): void {
    if (this.#phase === 'closed' || this.#phase === 'lost') return;
    if (this.#o.onExtensionText?.(text)) return;
    const parsed = parseAgentMessage(text);
    if (!parsed.ok) {
      this.#log.warn({ code: parsed.error.code, detail: parsed.error.message }, 'agent sent a bad message');
      this.sendError(parsed.error.code, parsed.error.message, parsed.error.command);
      return;
    }
    this.#onCommand(parsed.command);
  }

  #onCommand(cmd: AgentCommand): void {
    const output = this.#o.output;
    switch (cmd.command) {
      case 'accept':
        if (this.#phase === 'offered') {
          this.#phase = 'accepted';
          this.#acceptWaiter?.resolve(cmd);
        } else this.sendError('invalid_state', 'accept is only valid after incoming', 'accept');
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
        } else this.sendError('invalid_state', 'reject is only valid before accept', 'reject');
        return;
      case 'ringing':
        return;
      case 'audio.start': {
        const r = this.#tracker.start(cmd.playId, cmd.protected ?? false);
        if (r.implicitlyEnded !== undefined) output.endUtterance(r.implicitlyEnded);
        return;
      }
      case 'audio.end': {
        const r = this.#tracker.end(cmd.playId);
        if (r.ok) output.endUtterance(cmd.playId);
        else
          this.sendError(
            'invalid_state',
            `audio.end for ${cmd.playId}, but the open utterance is ${r.open ?? 'none'}`,
            'audio.end',
            cmd.playId,
          );
        return;
      }
      case 'interrupt':
        output.interrupt();
        return;
      case 'mark':
        output.mark(cmd.name);
        return;
      case 'hangup':
        this.#act(
          { type: 'hangup', ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}) },
          'hangup',
          'internal_error',
        );
        return;
      case 'refer': {
        const target: TransferTarget = isDialplanTarget(cmd.target)
          ? {
              context: cmd.target.context,
              extension: cmd.target.extension,
              ...(cmd.target.priority !== undefined ? { priority: cmd.target.priority } : {}),
            }
          : { endpoint: cmd.target.endpoint };
        const warm = {
          target,
          ...(cmd.summary !== undefined ? { summary: cmd.summary } : {}),
          ...(cmd.prompt !== undefined ? { prompt: cmd.prompt } : {}),
          ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}),
        };
        this.#act(
          cmd.mode === 'warm' ? { type: 'warmTransfer', transfer: warm } : { type: 'transfer', target },
          'refer',
          'refer_failed',
        );
        return;
      }
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
      case 'invite':
        // One socket carries one call: this one already has its call (offered, accepted, or placed by an invite).
        this.sendError(
          'invalid_state',
          `this socket already carries call ${this.#o.call.callId}; place another call from a new connection`,
          'invite',
        );
        return;
      case 'unsupported':
        this.sendError('unsupported_command', `${cmd.name} needs an engine this adapter does not run`, cmd.name);
        return;
      default:
        assertNever(cmd, 'agent command');
    }
  }

  #act(action: AgentAction, command: string, failCode: AgentErrorCode): void {
    if (this.#phase !== 'accepted') {
      this.sendError('invalid_state', `${command} before accept`, command);
      return;
    }
    this.#o.output.act(action).catch((err: unknown) => {
      // A warm transfer that ran and failed was told as a `transfer` event (state `failed`, with the reason).
      if (err instanceof AppError && err.details?.transferId !== undefined) return;
      const message = err instanceof Error ? err.message : String(err);
      this.#log.warn({ err, command }, 'agent command failed');
      this.sendError(
        err instanceof AppError && err.code === 'ACTION_UNAVAILABLE' ? 'invalid_state' : failCode,
        message,
        command,
      );
    });
  }

  #onSocketClose(info: AgentSocketClose): void {
    if (this.#phase === 'closed' || this.#phase === 'lost' || info.initiator === 'adapter') return;
    this.#log.warn({ code: info.code, reason: info.reason, initiator: info.initiator }, 'agent connection lost');
    if (this.#phase === 'offered' || this.#phase === 'new') {
      this.#phase = 'lost';
      this.#acceptWaiter?.reject(
        new AppError('agent closed the connection before accepting', {
          code: 'AGENT_DISCONNECTED',
          category: 'connectivity',
          retryable: true,
        }),
      );
      return;
    }
    this.#phase = 'lost';
    this.#o.onLost(info);
  }
}
