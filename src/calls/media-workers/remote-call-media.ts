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
        this.emit('connected', m.format as AudioFormat, m.agentKind);
        return;
      case 'call.active':
        this.emit('active', m.agentKind);
        return;
      case 'call.failed':
        this.emit('failed', m.reason, m.code, m.message);
        return;
      case 'call.legClosed':
        this.emit('legClosed', m.reason as MediaLegCloseReason);
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
      case 'call.closed':
        this.#closed?.({ ...(m.latency ? { latency: m.latency as CallLatency } : {}) });
        return;
    }
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
    this.#closed?.({ workerLost: true });
    this.emit('failed', 'worker_failed', 'MEDIA_WORKER_EXITED', `media worker ${this.worker} exited`);
  }

  setMuted(muted: boolean): void {
    this.#send({ type: 'call.mute', callId: this.callId, muted });
  }

  dtmf(digit: string, durationMs?: number): void {
    this.#send({ type: 'call.dtmf', callId: this.callId, digit, ...(durationMs !== undefined ? { durationMs } : {}) });
  }

  close(reason: CloseReason, initiator: HangupInitiator, hangupLeg: boolean): Promise<CloseResult> {
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
      else this.#send({ type: 'call.close', callId: this.callId, reason, initiator, hangupLeg });
    });
    return this.#closing;
  }
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'ACTION_FAILED', message: err instanceof Error ? err.message : String(err) };
}
