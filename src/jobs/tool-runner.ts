import type { ToolCallOutcome } from '../db/tool-calls-repository.js';
import { isAppError } from '../errors/app-error.js';
import { assertNever } from '../lib/assert-never.js';
import { delayFor, shouldRetry } from '../lib/retry-policy.js';
import { abortableDelay } from './backoff.js';
import type { CallControlClient } from './call-control-client.js';
import { type BuiltinToolName, parseBuiltinToolArguments } from '../calls/builtin-tools.js';
import type { DtmfCommand, HangupCommand, PlayCommand, TransferCommand } from './control-commands.js';
import type { HttpTool, ToolDefinition } from './tool-catalog.js';
import { TOOL_ERROR_CODES } from './tool-call-types.js';
import { toolCallKey } from './queues.js';
import { isRetryableStatus, type PostOutcome, signedJsonPost } from './signed-post.js';

export interface ToolInvocation {
  callId: string;
  toolCallId: string;
  name: string;
  arguments: unknown;
}

export interface ToolRunContext {
  control: Pick<CallControlClient, 'execute'>;
  /** Called before each retry (the first attempt is counted when the run claims the call). */
  countRetry: () => Promise<void>;
  /** Timeout of control commands run by built-in tools. */
  controlTimeoutMs: number;
  signal?: AbortSignal;
}

function failed(code: string, error: string): ToolCallOutcome {
  return { status: 'failed', errorCode: code, error };
}

/** Runs a tool once to an outcome (with its own retries for HTTP tools). Never throws for tool failures. */
export async function runTool(
  def: ToolDefinition,
  call: ToolInvocation,
  ctx: ToolRunContext,
): Promise<ToolCallOutcome> {
  switch (def.kind) {
    case 'builtin':
      return runBuiltin(def.name, call, ctx);
    case 'http':
      return runHttp(def, call, ctx);
    default:
      return assertNever(def, 'tool definition');
  }
}

async function runBuiltin(name: BuiltinToolName, call: ToolInvocation, ctx: ToolRunContext): Promise<ToolCallOutcome> {
  const command = builtinCommand(name, call);
  if (!command.ok) return failed(TOOL_ERROR_CODES.invalidArguments, command.message);
  const opts = { timeoutMs: ctx.controlTimeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) };
  try {
    const result = await ctx.control.execute(command.command, opts);
    return { status: 'succeeded', result };
  } catch (err) {
    if (isAppError(err)) {
      if (err.code === 'CONTROL_TIMEOUT') return { status: 'timed_out', errorCode: err.code, error: err.message };
      return failed(err.code, err.message);
    }
    return failed(TOOL_ERROR_CODES.unavailable, err instanceof Error ? err.message : String(err));
  }
}

type BuiltinCommand =
  | { ok: true; command: HangupCommand | TransferCommand | DtmfCommand | PlayCommand }
  | { ok: false; message: string };

/** The call-control command a built-in tool call stands for, from its parsed arguments. */
function builtinCommand(name: BuiltinToolName, call: ToolInvocation): BuiltinCommand {
  const { callId } = call;
  switch (name) {
    case 'hangup': {
      const a = parseBuiltinToolArguments('hangup', call.arguments);
      if (!a.ok) return a;
      return { ok: true, command: { type: 'hangup', callId, ...(a.args.reason ? { reason: a.args.reason } : {}) } };
    }
    case 'transfer': {
      const a = parseBuiltinToolArguments('transfer', call.arguments);
      if (!a.ok) return a;
      const { target, context } = a.args;
      return { ok: true, command: { type: 'transfer', callId, target, ...(context ? { context } : {}) } };
    }
    case 'send_dtmf': {
      const a = parseBuiltinToolArguments('send_dtmf', call.arguments);
      if (!a.ok) return a;
      return { ok: true, command: { type: 'dtmf', callId, digits: a.args.digits } };
    }
    case 'play': {
      const a = parseBuiltinToolArguments('play', call.arguments);
      if (!a.ok) return a;
      const media = typeof a.args.media === 'string' ? [a.args.media] : a.args.media;
      return { ok: true, command: { type: 'play', callId, media } };
    }
    default:
      return assertNever(name, 'built-in tool');
  }
}

function describe(outcome: PostOutcome): ToolCallOutcome {
  switch (outcome.kind) {
    case 'response':
      return failed(TOOL_ERROR_CODES.httpStatus, `HTTP ${outcome.status}: ${outcome.body.slice(0, 500)}`);
    case 'network':
      return failed(TOOL_ERROR_CODES.network, outcome.error);
    case 'timeout':
      return {
        status: 'timed_out',
        errorCode: TOOL_ERROR_CODES.timeout,
        error: `no answer in ${outcome.timeoutMs} ms`,
      };
    case 'aborted':
      return failed(TOOL_ERROR_CODES.unavailable, 'aborted: worker shutting down');
    default:
      return assertNever(outcome, 'post outcome');
  }
}

function parseOutput(body: string, contentType: string | null): unknown {
  if (body.length === 0) return null;
  if (contentType?.includes('json') || /^\s*[[{"]/.test(body)) {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      // not JSON after all: hand back the text
    }
  }
  return body;
}

async function runHttp(tool: HttpTool, call: ToolInvocation, ctx: ToolRunContext): Promise<ToolCallOutcome> {
  const body = JSON.stringify({
    callId: call.callId,
    toolCallId: call.toolCallId,
    name: call.name,
    arguments: call.arguments ?? {},
  });
  let last: ToolCallOutcome = failed(TOOL_ERROR_CODES.unavailable, 'not attempted');
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await ctx.countRetry();
    const outcome = await signedJsonPost({
      url: tool.url,
      secret: tool.secret,
      body,
      timeoutMs: tool.timeoutMs,
      idempotencyKey: toolCallKey(call.callId, call.toolCallId),
      attempt,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
      return { status: 'succeeded', result: parseOutput(outcome.body, outcome.contentType) };
    }
    last = describe(outcome);
    const retryable =
      outcome.kind === 'network' ||
      outcome.kind === 'timeout' ||
      (outcome.kind === 'response' && isRetryableStatus(outcome.status));
    if (!retryable || !shouldRetry(tool.retry, attempt)) break;
    const hinted = outcome.kind === 'response' ? outcome.retryAfterMs : null;
    const delay = Math.min(hinted ?? delayFor(tool.retry, attempt), tool.retry.maxDelayMs);
    try {
      await abortableDelay(delay, ctx.signal);
    } catch {
      break;
    }
  }
  return last;
}
