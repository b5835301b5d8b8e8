import type { AudioFormat } from '../../audio/format.js';
import { AppError } from '../../errors/app-error.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { FromWorker, ToWorker } from '../../protocols/media-worker/messages.js';
import type { LifecycleEventType } from '../call-lifecycle.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { ToolInvocationResult, ToolInvoker } from '../agents/realtime-tool-invoker.js';
import type { TranscriptSink, TranscriptTurn } from '../agents/realtime-transcripts.js';
import type { MediaLegCloseReason } from '../media-leg.js';
import type { RemoteMedia, RemoteMediaEvents } from '../remote-media.js';
import type { AgentControl, CallNotice } from '../voice-agent.js';
import type { CallLatency } from '../turn-latency.js';

/** Longest wait for a worker's answer to `call.close`. */
const CLOSE_ANSWER_TIMEOUT_MS = 5000;

type CloseResult = { latency?: CallLatency; workerLost?: boolean };

/** What the primary gives the agents on workers: the job layer's tool calls and the transcript store. */
export interface AgentServices {
  readonly tools: ToolInvoker;
  readonly transcripts: TranscriptSink;
}

/** Messages about one call, from its worker. */
export type WorkerCallMessage = Exclude<FromWorker, { type: 'ready' | 'stats' }>;

/**
 * The primary's handle on a call's media plane in one media worker: turns the worker's messages about the call into
 * `RemoteMedia` events for the call's `CallSession`, and its commands into messages. When the worker dies, `lost()`
 * fails the call (`worker_failed`) and settles whatever waits for the worker.
 */
export class RemoteCallMedia extends TypedEmitter<RemoteMediaEvents> implements RemoteMedia {
  readonly worker: number;
  readonly callId: string;
  readonly #send: (message: ToWorker) => boolean;
  #closed: ((result: CloseResult) => void) | undefined;
  #closing: Promise<CloseResult> | undefined;
  #gone = false;
  readonly #services: AgentServices | undefined;
  /** Aborts the call's tool calls still running when its media ends. */
  readonly #abort = new AbortController();
  #agent: AgentControl | undefined;
  readonly #speaking = new Map<number, { resolve: () => void; reject: (err: AppError) => void }>();
  #nextSpeak = 1;

  constructor(
    worker: number,
    callId: string,
    send: (message: ToWorker) => boolean,
    services?: AgentServices | undefined,
  ) {
    super();
    this.worker = worker;
    this.callId = callId;
    this.#send = send;
    this.#services = services;
  }

  /** Handles one message of the worker about this call. */
  receive(m: WorkerCallMessage): void {
    switch (m.type) {
      case 'call.connected':
        this.#agent = this.#agentControl(m.agentKind, m.agentCan);
        this.emit('connected', m.format as AudioFormat, m.agentKind);
        return;
      case 'agent.spoken': {
        const pending = this.#speaking.get(m.requestId);
        this.#speaking.delete(m.requestId);
        if (m.error) pending?.reject(new AppError(m.error.message, { code: m.error.code, category: 'application' }));
        else pending?.resolve();
        return;
      }
      case 'call.active':
        this.emit('active', m.agentKind);
        return;
      case 'call.failed':
        this.emit('failed', m.reason, m.code, m.message);
        return;
      case 'call.mediaFailed':
        this.emit('mediaFailed', m.code, m.message);
        return;
      case 'call.legClosed':
        this.emit('legClosed', m.reason as MediaLegCloseReason);
        return;
      case 'call.uplinkSilence':
        this.emit('uplinkSilence', m.silentMs);
        return;
      case 'call.event':
        this.emit('event', m.event as LifecycleEventType, m.data, new Date(m.at));
        return;
      case 'call.action': {
        const reply = (err?: unknown) =>
          this.#send({
            type: 'call.actionDone',
            callId: this.callId,
            actionId: m.actionId,
            ...(err === undefined ? {} : { error: errorOf(err) }),
          });
        this.emit('action', m.action, reply);
        return;
      }
      case 'tool.invoke':
        this.#invoke(m);
        return;
      case 'transcript.turn':
        this.#services?.transcripts.add(this.callId, m.turn as TranscriptTurn);
        return;
      case 'call.end':
        this.emit('end', m.reason);
        return;
      case 'call.closed':
        this.#closed?.({ ...(m.latency ? { latency: m.latency as CallLatency } : {}) });
        return;
    }
  }

  /** The call's agent on the worker, once its media connected. */
  get agent(): AgentControl | undefined {
    return this.#agent;
  }

  /** The agent as the primary uses it: each use is a message to the worker (only what the agent can do). */
  #agentControl(kind: string, can: { sendMessage: boolean; speakToTransferTarget: boolean } | undefined): AgentControl {
    const callId = this.callId;
    return {
      kind,
      notify: (notice: CallNotice) => {
        this.#send({ type: 'agent.notify', callId, notice });
      },
      ...(can?.sendMessage
        ? {
            sendMessage: (text: string, options: { interrupt: boolean }) => {
              this.#send({ type: 'agent.message', callId, text, interrupt: options.interrupt });
            },
          }
        : {}),
      ...(can?.speakToTransferTarget
        ? { speakToTransferTarget: (text: string, signal: AbortSignal) => this.#speak(text, signal) }
        : {}),
    };
  }

  #speak(text: string, signal: AbortSignal): Promise<void> {
    const requestId = this.#nextSpeak++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#speaking.delete(requestId);
        this.#send({ type: 'agent.speakAbort', callId: this.callId, requestId });
        reject(new AppError('speaking the summary was stopped', { code: 'ABORTED', category: 'application' }));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.#speaking.set(requestId, {
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      if (this.#gone) return this.#speaking.get(requestId)?.reject(lostError(this.worker));
      this.#send({ type: 'agent.speak', callId: this.callId, requestId, text });
    });
  }

  /** Runs a tool call of the worker's agent through the job layer here, and sends its outcome back. */
  #invoke(m: Extract<WorkerCallMessage, { type: 'tool.invoke' }>): void {
    const reply = (result: ToolInvocationResult) =>
      this.#send({ type: 'tool.result', callId: this.callId, requestId: m.requestId, result });
    const tools = this.#services?.tools;
    if (!tools) {
      reply({ status: 'failed', error: { code: 'TOOL_UNAVAILABLE', message: `no tool runner for ${m.name}` } });
      return;
    }
    tools.invoke(this.callId, m.toolCallId, m.name, m.arguments, this.#abort.signal).then(reply, (err: unknown) => {
      // Aborted: the call's media is ending, nobody waits for the outcome any more.
      if (this.#abort.signal.aborted) return;
      const e = errorOf(err);
      reply({
        status: 'failed',
        error: { code: e.code === 'ACTION_FAILED' ? 'TOOL_FAILED' : e.code, message: e.message },
      });
    });
  }

  /** The worker is gone: the call cannot go on. */
  lost(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#abort.abort();
    for (const pending of this.#speaking.values()) pending.reject(lostError(this.worker));
    this.#speaking.clear();
    this.#closed?.({ workerLost: true });
    this.emit('failed', 'worker_failed', 'MEDIA_WORKER_EXITED', `media worker ${this.worker} exited`);
  }

  setMuted(muted: boolean): void {
    this.#send({ type: 'call.mute', callId: this.callId, muted });
  }

  dtmf(digit: string, durationMs?: number): void {
    this.#send({ type: 'call.dtmf', callId: this.callId, digit, ...(durationMs !== undefined ? { durationMs } : {}) });
  }

  close(reason: CloseReason, initiator: HangupInitiator, hangupLeg: boolean, cause?: number): Promise<CloseResult> {
    this.#abort.abort();
    this.#closing ??= new Promise<CloseResult>((resolve) => {
      // A worker that neither answers nor exits (stuck) must not hold the call's end: give up after a while.
      const timer = setTimeout(() => resolve({}), CLOSE_ANSWER_TIMEOUT_MS);
      this.#closed = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      // No answer comes from a worker that is gone or going: its exit (`lost`) settles the wait then.
      if (this.#gone) this.#closed({ workerLost: true });
      else
        this.#send({
          type: 'call.close',
          callId: this.callId,
          reason,
          initiator,
          hangupLeg,
          ...(cause !== undefined ? { cause } : {}),
        });
    });
    return this.#closing;
  }
}

function lostError(worker: number): AppError {
  return new AppError(`media worker ${worker} exited`, { code: 'MEDIA_WORKER_EXITED', category: 'server' });
}

function errorOf(err: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (err instanceof AppError)
    return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  return { code: 'ACTION_FAILED', message: err instanceof Error ? err.message : String(err) };
}
