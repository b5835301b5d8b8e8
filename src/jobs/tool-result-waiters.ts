import { AppError } from '../errors/app-error.js';
import type { ToolCallResult, ToolResultDeliveryOutcome, ToolResultSink } from './tool-call-types.js';
import type { ToolCalls } from './tool-calls.js';

interface Waiter {
  resolve: (r: ToolCallResult) => void;
  reject: (e: unknown) => void;
}

/**
 * This instance's side of tool calls: `invoke` submits an agent's function call as a job and waits for its result;
 * the job layer delivers results here (`deliver`, the `ToolResultSink`). A result for a call nobody waits for any
 * more (the call ended) is answered `call_not_found`, so it stays recorded rather than delivered. At most
 * `maxWaiting` calls wait at once; more are refused with TOOL_BUSY.
 */
export class ToolResultWaiters implements ToolResultSink {
  readonly #waiting = new Map<string, Waiter>();
  readonly #toolCalls: () => ToolCalls;
  readonly #maxWaiting: number;

  constructor(toolCalls: () => ToolCalls, options: { maxWaiting?: number } = {}) {
    this.#toolCalls = toolCalls;
    this.#maxWaiting = options.maxWaiting ?? 10_000;
  }

  /** Waiters that submit through the job layer once it runs; before (or without) it, tool calls fail TOOL_UNAVAILABLE. */
  static ofJobLayer(toolCalls: () => ToolCalls | undefined): ToolResultWaiters {
    return new ToolResultWaiters(() => {
      const calls = toolCalls();
      if (!calls)
        throw new AppError('tool calls need the job layer (MYSQL_URL and REDIS_URL)', {
          code: 'TOOL_UNAVAILABLE',
          category: 'configuration',
        });
      return calls;
    });
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  async invoke(
    callId: string,
    toolCallId: string,
    name: string,
    args: unknown,
    signal: AbortSignal,
  ): Promise<ToolCallResult> {
    const key = `${callId}:${toolCallId}`;
    const existing = this.#waiting.get(key);
    if (existing) {
      return new Promise<ToolCallResult>((resolve, reject) => {
        const prev = existing;
        this.#waiting.set(key, {
          resolve: (r) => {
            prev.resolve(r);
            resolve(r);
          },
          reject: (e) => {
            prev.reject(e);
            reject(e);
          },
        });
      });
    }
    if (this.#waiting.size >= this.#maxWaiting) {
      throw new AppError('too many tool calls waiting', { code: 'TOOL_BUSY', category: 'rate_limit', retryable: true });
    }
    const result = new Promise<ToolCallResult>((resolve, reject) => {
      this.#waiting.set(key, { resolve, reject });
    });
    const onAbort = () => {
      const w = this.#waiting.get(key);
      this.#waiting.delete(key);
      w?.reject(
        new AppError('tool call abandoned', { code: 'TOOL_ABANDONED', category: 'application', cause: signal.reason }),
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#toolCalls().submit({ callId, toolCallId, name, arguments: args });
      return await result;
    } catch (err) {
      this.#waiting.delete(key);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  waitsFor(callId: string, toolCallId: string): boolean {
    return this.#waiting.has(`${callId}:${toolCallId}`);
  }

  async deliver(result: ToolCallResult): Promise<ToolResultDeliveryOutcome> {
    const key = `${result.callId}:${result.toolCallId}`;
    const waiter = this.#waiting.get(key);
    if (!waiter) return 'call_not_found';
    this.#waiting.delete(key);
    waiter.resolve(result);
    return 'delivered';
  }
}
