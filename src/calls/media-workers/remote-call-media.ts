import type { AudioFormat } from '../../audio/format.js';
import { AppError } from '../../errors/app-error.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { FromWorker, ToWorker } from '../../protocols/media-worker/messages.js';
import type { LifecycleEventType } from '../call-lifecycle.js';
import type { CloseReason, HangupInitiator } from '../close-reason.js';
import type { MediaLegCloseReason } from '../media-leg.js';
import type { RemoteMedia, RemoteMediaEvents } from '../remote-media.js';
import type { CallLatency } from '../turn-latency.js';

/** Longest wait for a worker's answer to `call.close`. */
const CLOSE_ANSWER_TIMEOUT_MS = 5000;

type CloseResult = { latency?: CallLatency; workerLost?: boolean };

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

  constructor(worker: number, callId: string, send: (message: ToWorker) => boolean) {
    super();
    this.worker = worker;
    this.callId = callId;
    this.#send = send;
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
      case 'call.closed':
        this.#closed?.({ ...(m.latency ? { latency: m.latency as CallLatency } : {}) });
        return;
    }
  }

  /** The worker is gone: the call cannot go on. */
  lost(): void {
    if (this.#gone) return;
    this.#gone = true;
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

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'ACTION_FAILED', message: err instanceof Error ? err.message : String(err) };
}
