/**
 * How the Realtime agent runs the functions the model calls. Declared here, by its consumer; the composition root
 * supplies the job-layer implementation (a `tool-calls` job per call, its result routed back to this instance),
 * tests and the demo use `InProcessToolInvoker`.
 */

/** One function call as an in-process invoker records it. */
export interface ToolInvocationRequest {
  readonly callId: string;
  /** The model's `call_id`. */
  readonly toolCallId: string;
  readonly name: string;
  /** The arguments, parsed from the model's JSON. */
  readonly arguments: unknown;
}

/** A tool's outcome. Field names match the job layer's `ToolCallResult` (which carries the identifying fields too). */
export type ToolInvocationResult =
  | { readonly status: 'succeeded'; readonly output: unknown }
  | { readonly status: 'failed' | 'timed_out'; readonly error: { readonly code: string; readonly message: string } };

export interface ToolInvoker {
  /**
   * Runs the function call `(callId, toolCallId)`, or joins the run already under way for it: asking twice runs
   * the tool once. `args` are the arguments parsed from the model's JSON. Resolves with the outcome (tool failures
   * are outcomes, not rejections); rejects only when `signal` aborts or the invoker itself is unavailable.
   */
  invoke(
    callId: string,
    toolCallId: string,
    name: string,
    args: unknown,
    signal: AbortSignal,
  ): Promise<ToolInvocationResult>;
}

/** The key a tool call is deduplicated on, the same as the `tool-calls` job id. */
export function toolInvocationKey(callId: string, toolCallId: string): string {
  return `${callId}:${toolCallId}`;
}

/** Context handed to an in-process tool handler. */
export interface ToolHandlerContext {
  readonly callId: string;
  readonly toolCallId: string;
  readonly signal: AbortSignal;
}

export type ToolHandler = (args: unknown, context: ToolHandlerContext) => Promise<unknown> | unknown;

export interface InProcessToolInvokerOptions {
  readonly handlers: Readonly<Record<string, ToolHandler>>;
  /** Each run's time limit; the outcome is `timed_out` beyond it. Default 10 s. */
  readonly timeoutMs?: number;
  /** Runs remembered for deduplication; the oldest is forgotten beyond it. Default 10 000. */
  readonly maxRemembered?: number;
}

/**
 * Runs tools as functions in this process, once per `(callId, toolCallId)` (a repeated request gets the first
 * run's outcome). A throwing handler gives a `failed` outcome with code `TOOL_FAILED`; an unknown name gives
 * `TOOL_UNKNOWN`. `runs` counts the handler executions per key (tests use it to prove deduplication).
 */
export class InProcessToolInvoker implements ToolInvoker {
  readonly #o: InProcessToolInvokerOptions;
  readonly #runs = new Map<string, Promise<ToolInvocationResult>>();
  /** Handler executions per key. */
  readonly runs = new Map<string, number>();
  /** Every request received, in order (duplicates included). */
  readonly requests: ToolInvocationRequest[] = [];

  constructor(options: InProcessToolInvokerOptions) {
    this.#o = options;
  }

  invoke(
    callId: string,
    toolCallId: string,
    name: string,
    args: unknown,
    signal: AbortSignal,
  ): Promise<ToolInvocationResult> {
    const request: ToolInvocationRequest = { callId, toolCallId, name, arguments: args };
    this.requests.push(request);
    if (this.requests.length > (this.#o.maxRemembered ?? 10_000)) this.requests.shift();
    const key = toolInvocationKey(request.callId, request.toolCallId);
    const existing = this.#runs.get(key);
    if (existing) return existing;
    const run = this.#run(request, signal);
    this.#runs.set(key, run);
    if (this.#runs.size > (this.#o.maxRemembered ?? 10_000)) {
      const oldest = this.#runs.keys().next().value;
      if (oldest !== undefined) this.#runs.delete(oldest);
    }
    return run;
  }

  async #run(request: ToolInvocationRequest, signal: AbortSignal): Promise<ToolInvocationResult> {
    const handler = this.#o.handlers[request.name];
    if (!handler) {
      return { status: 'failed', error: { code: 'TOOL_UNKNOWN', message: `no tool named ${request.name}` } };
    }
    const key = toolInvocationKey(request.callId, request.toolCallId);
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
    const timeoutMs = this.#o.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ToolInvocationResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({ status: 'timed_out', error: { code: 'TOOL_TIMEOUT', message: `no result in ${timeoutMs} ms` } }),
        timeoutMs,
      );
    });
    const work = (async (): Promise<ToolInvocationResult> => {
      try {
        const output = await handler(request.arguments, {
          callId: request.callId,
          toolCallId: request.toolCallId,
          signal,
        });
        return { status: 'succeeded', output: output ?? null };
      } catch (err) {
        return {
          status: 'failed',
          error: { code: 'TOOL_FAILED', message: err instanceof Error ? err.message : String(err) },
        };
      }
    })();
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The invoker used when none is configured: every function call fails with `TOOL_UNAVAILABLE`. */
export const UNAVAILABLE_TOOL_INVOKER: ToolInvoker = {
  async invoke(_callId, _toolCallId, name) {
    return {
      status: 'failed',
      error: { code: 'TOOL_UNAVAILABLE', message: `no tool runner is configured for ${name}` },
    };
  },
};

/** The text sent as `function_call_output.output` for an outcome. */
export function toolOutputText(result: ToolInvocationResult): string {
  if (result.status === 'succeeded') {
    return typeof result.output === 'string' ? result.output : JSON.stringify(result.output ?? null);
  }
  return JSON.stringify({ error: { status: result.status, code: result.error.code, message: result.error.message } });
}
