import type { AgentAction } from '../voice-agent.js';
import { runBuiltinTool } from './realtime-builtin-tools.js';
import type { BuiltinToolSpec } from './realtime-session-config.js';
import type { FunctionCallInfo, FunctionCallOutcome } from './realtime-tool-calls.js';
import { type ToolInvoker, toolOutputText } from './realtime-tool-invoker.js';

export interface RealtimeToolRunnerContext {
  readonly callId: string;
  readonly builtins: ReadonlyMap<string, BuiltinToolSpec>;
  readonly invoker: ToolInvoker;
  readonly signal: AbortSignal;
  act(action: AgentAction): Promise<void>;
  playoutDrained(): Promise<void>;
}

function failure(code: string, message: string): FunctionCallOutcome {
  return { output: toolOutputText({ status: 'failed', error: { code, message } }), respond: true };
}

/**
 * Runs one function call to the text of its `function_call_output`: a built-in call tool on the call itself,
 * anything else through the tool invoker (the `tool-calls` job layer) with the arguments parsed from the model's
 * JSON. Never rejects: bad arguments and an unavailable invoker become error outputs the model can answer.
 */
export async function runRealtimeTool(
  call: FunctionCallInfo,
  parentDone: Promise<void>,
  ctx: RealtimeToolRunnerContext,
): Promise<FunctionCallOutcome> {
  const builtin = ctx.builtins.get(call.name);
  if (builtin) {
    return runBuiltinTool(builtin, call.arguments, {
      act: (action) => ctx.act(action),
      parentDone,
      playoutDrained: () => ctx.playoutDrained(),
    });
  }
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (err) {
    return failure('TOOL_INVALID_ARGUMENTS', `arguments are not JSON: ${(err as Error).message}`);
  }
  try {
    const result = await ctx.invoker.invoke(ctx.callId, call.callId, call.name, args, ctx.signal);
    return { output: toolOutputText(result), respond: true };
  } catch (err) {
    return failure('TOOL_UNAVAILABLE', err instanceof Error ? err.message : String(err));
  }
}
