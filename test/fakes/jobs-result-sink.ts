import type { ToolCallResult, ToolResultDeliveryOutcome, ToolResultSink } from '../../src/jobs/tool-call-types.js';

/**
 * A `ToolResultSink` for tests: the calls it holds are `live`; results for them are recorded, results for other
 * calls are answered `call_not_found`. `waitFor` resolves once a result for a tool call arrived.
 */
export class RecordingToolResultSink implements ToolResultSink {
  readonly name: string;
  readonly live = new Set<string>();
  readonly received: ToolCallResult[] = [];
  readonly refused: ToolCallResult[] = [];
  /** Tool call ids an agent here waits for, as the calls layer's sink reports them (until the result arrives). */
  readonly awaited = new Set<string>();
  readonly #waiters = new Set<() => void>();

  constructor(name: string) {
    this.name = name;
  }

  waitsFor(callId: string, toolCallId: string): boolean {
    return this.live.has(callId) && this.awaited.has(toolCallId);
  }

  async deliver(result: ToolCallResult): Promise<ToolResultDeliveryOutcome> {
    this.awaited.delete(result.toolCallId);
    if (!this.live.has(result.callId)) {
      this.refused.push(result);
      for (const w of [...this.#waiters]) w();
      return 'call_not_found';
    }
    this.received.push(result);
    for (const w of [...this.#waiters]) w();
    return 'delivered';
  }

  count(toolCallId: string): number {
    return this.received.filter((r) => r.toolCallId === toolCallId).length;
  }

  /** Resolves with the first result for `toolCallId` (received or refused). */
  async waitFor(toolCallId: string, timeoutMs = 20_000): Promise<ToolCallResult> {
    const find = (): ToolCallResult | undefined =>
      this.received.find((r) => r.toolCallId === toolCallId) ?? this.refused.find((r) => r.toolCallId === toolCallId);
    const hit = find();
    if (hit) return hit;
    return new Promise<ToolCallResult>((resolve, reject) => {
      const check = (): void => {
        const r = find();
        if (r) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve(r);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`sink ${this.name}: no result for ${toolCallId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }
}
