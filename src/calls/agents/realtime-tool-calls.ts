import type { Logger } from '../../observability/logger.js';

/** A function call the model made, complete (its arguments are final). */
export interface FunctionCallInfo {
  readonly responseId: string;
  /** The model's `call_id`. */
  readonly callId: string;
  readonly name: string;
  /** The arguments as the model wrote them (JSON text). */
  readonly arguments: string;
}

/** What running a call produced: the `function_call_output` text, and whether the model should answer it. */
export interface FunctionCallOutcome {
  readonly output: string;
  /** false: send the output but ask for no response (the call is ending, say after `hangup`). */
  readonly respond: boolean;
}

export interface ToolCallCoordinatorOptions {
  /**
   * Runs one call to its outcome. `parentDone` resolves once the response that made the call is done (built-in
   * tools that act on the call wait for it). Must not reject.
   */
  run(call: FunctionCallInfo, parentDone: Promise<void>): Promise<FunctionCallOutcome>;
  /** Sends `function_call_output`; false when no session is live (it is sent again on `flush()`). */
  sendOutput(callId: string, output: string): boolean;
  /** Asks the model to answer the outputs just sent. */
  requestResponse(): void;
  /** Has the model say a tool's filler while it runs. */
  sayFiller(text: string): void;
  fillerFor(name: string): string | undefined;
  readonly fillerDelayMs: number;
  readonly logger: Logger;
  /** Calls remembered for deduplication; the oldest finished ones are forgotten beyond it. Default 1000. */
  readonly maxRemembered?: number;
}

interface CallState {
  readonly info: FunctionCallInfo;
  parentDone: boolean;
  readonly resolveParent: () => void;
  readonly parent: Promise<void>;
  outcome: FunctionCallOutcome | undefined;
  sent: boolean;
}

/**
 * Function calls of one Realtime session, in the order the protocol requires:
 * - a call is run once per `call_id`, however often it is reported (`response.function_call_arguments.done` and
 *   `response.output_item.done` both report it; a replayed or repeated event reports it again);
 * - its `function_call_output` is sent only after the parent `response.done` (sooner, the server refuses it as
 *   an unknown call and the model retries with a new id, running the side effect twice);
 * - once every call of a response has its output sent, one `response.create` asks the model to go on
 *   (unless every outcome asked for no response);
 * - a tool's filler is spoken when its result is not back `fillerDelayMs` after the parent response is done.
 */
export class ToolCallCoordinator {
  readonly #o: ToolCallCoordinatorOptions;
  readonly #calls = new Map<string, CallState>();
  readonly #groups = new Map<string, Set<string>>();
  readonly #fillerTimers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: ToolCallCoordinatorOptions) {
    this.#o = options;
  }

  /** Calls run so far (unique `call_id`s). */
  get callCount(): number {
    return this.#calls.size;
  }

  /** Reports a complete function call; returns false (and does nothing) when this `call_id` was seen before. */
  onFunctionCall(info: FunctionCallInfo): boolean {
    if (this.#closed) return false;
    if (this.#calls.has(info.callId)) {
      this.#o.logger.debug({ toolCallId: info.callId, name: info.name }, 'function call reported again; not run twice');
      return false;
    }
    let resolveParent!: () => void;
    const parent = new Promise<void>((resolve) => {
      resolveParent = resolve;
    });
    const state: CallState = { info, parentDone: false, resolveParent, parent, outcome: undefined, sent: false };
    this.#calls.set(info.callId, state);
    const group = this.#groups.get(info.responseId) ?? new Set<string>();
    group.add(info.callId);
    this.#groups.set(info.responseId, group);
    this.#forgetOld();
    this.#o.logger.info({ toolCallId: info.callId, name: info.name }, 'model called a function');
    void this.#o.run(info, parent).then(
      (outcome) => this.#onOutcome(state, outcome),
      (err: unknown) =>
        this.#onOutcome(state, {
          output: JSON.stringify({
            error: { code: 'TOOL_FAILED', message: err instanceof Error ? err.message : String(err) },
          }),
          respond: true,
        }),
    );
    return true;
  }

  /** The response `responseId` is done: its calls' outputs may now be sent. */
  onResponseDone(responseId: string): void {
    const group = this.#groups.get(responseId);
    if (!group) return;
    let filler: string | undefined;
    for (const id of group) {
      const s = this.#calls.get(id);
      if (!s || s.parentDone) continue;
      s.parentDone = true;
      s.resolveParent();
      if (s.outcome === undefined) filler ??= this.#o.fillerFor(s.info.name);
    }
    if (filler !== undefined) this.#scheduleFiller(responseId, filler);
    this.flush();
  }

  /**
   * A new session was given the conversation, function calls included: every call whose output is not sent yet
   * is complete in that session, so its output may be sent as soon as it is ready.
   */
  onReplayed(): void {
    for (const s of this.#calls.values()) {
      if (s.sent || s.parentDone) continue;
      s.parentDone = true;
      s.resolveParent();
    }
    this.flush();
  }

  /** Sends every output that is ready and allowed; asks for a response when a response's calls are all answered. */
  flush(): void {
    if (this.#closed) return;
    for (const [responseId, group] of this.#groups) {
      let sentNow = false;
      for (const id of group) {
        const s = this.#calls.get(id);
        if (!s || s.sent || !s.parentDone || s.outcome === undefined) continue;
        if (!this.#o.sendOutput(s.info.callId, s.outcome.output)) return;
        s.sent = true;
        sentNow = true;
      }
      if (!sentNow) continue;
      const states = [...group].map((id) => this.#calls.get(id));
      if (states.every((s) => s?.sent)) {
        this.#groups.delete(responseId);
        if (states.some((s) => s?.outcome?.respond)) this.#o.requestResponse();
      }
    }
  }

  /** Stops filler timers; later outcomes are dropped. Idempotent; resolves at once. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const t of this.#fillerTimers) clearTimeout(t);
    this.#fillerTimers.clear();
    for (const s of this.#calls.values()) s.resolveParent();
    return Promise.resolve();
  }

  #onOutcome(state: CallState, outcome: FunctionCallOutcome): void {
    if (this.#closed) return;
    state.outcome = outcome;
    this.#o.logger.info({ toolCallId: state.info.callId, name: state.info.name }, 'function call finished');
    this.flush();
  }

  #scheduleFiller(responseId: string, text: string): void {
    const timer = setTimeout(() => {
      this.#fillerTimers.delete(timer);
      const group = this.#groups.get(responseId);
      if (this.#closed || !group) return;
      const waiting = [...group].some((id) => this.#calls.get(id)?.outcome === undefined);
      if (waiting) this.#o.sayFiller(text);
    }, this.#o.fillerDelayMs);
    this.#fillerTimers.add(timer);
  }

  #forgetOld(): void {
    const max = this.#o.maxRemembered ?? 1000;
    if (this.#calls.size <= max) return;
    for (const [id, s] of this.#calls) {
      if (this.#calls.size <= max) break;
      if (s.sent) this.#calls.delete(id);
    }
  }
}
