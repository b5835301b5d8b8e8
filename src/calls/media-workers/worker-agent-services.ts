import { AppError } from '../../errors/app-error.js';
import type { FromWorker, ToWorker } from '../../protocols/media-worker/messages.js';
import type { ToolInvocationResult, ToolInvoker } from '../agents/realtime-tool-invoker.js';
import type { TranscriptSink, TranscriptTurn } from '../agents/realtime-transcripts.js';

type ToolResultMessage = Extract<ToWorker, { type: 'tool.result' }>;

interface Pending {
  callId: string;
  resolve(result: ToolInvocationResult): void;
}

/**
 * What the agents on a media worker need of the primary, through the worker channel: their function calls run as
 * jobs in the primary's job layer (`tool.invoke`, answered with `tool.result`), and their transcript turns are
 * recorded and stored there (`transcript.turn`).
 */
export class ChannelAgentServices implements ToolInvoker, TranscriptSink {
  readonly #send: (message: FromWorker) => void;
  readonly #pending = new Map<number, Pending>();
  #nextRequest = 1;

  constructor(send: (message: FromWorker) => void) {
    this.#send = send;
  }

  invoke(
    callId: string,
    toolCallId: string,
    name: string,
    args: unknown,
    signal: AbortSignal,
  ): Promise<ToolInvocationResult> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const requestId = this.#nextRequest++;
    return new Promise<ToolInvocationResult>((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(requestId);
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(requestId, {
        callId,
        resolve: (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
      });
      this.#send({ type: 'tool.invoke', callId, requestId, toolCallId, name, arguments: args ?? null });
    });
  }

  add(callId: string, turn: TranscriptTurn): void {
    this.#send({ type: 'transcript.turn', callId, turn: { ...turn } });
  }

  /** Settles the tool call a `tool.result` answers (unknown or already abandoned requests are ignored). */
  receive(m: ToolResultMessage): void {
    const pending = this.#pending.get(m.requestId);
    if (!pending || pending.callId !== m.callId) return;
    this.#pending.delete(m.requestId);
    pending.resolve(m.result as ToolInvocationResult);
  }
}

function abortError(signal: AbortSignal): AppError {
  return new AppError('the tool call was abandoned (the call or its agent ended)', {
    code: 'TOOL_ABORTED',
    category: 'server',
    cause: signal.reason,
  });
}
