import { parseBuiltinToolArguments } from '../builtin-tools.js';
import type { AgentAction } from '../voice-agent.js';
import type { BuiltinToolSpec } from './realtime-session-config.js';
import type { FunctionCallOutcome } from './realtime-tool-calls.js';
import { parseWarmTransferArguments, transferTargetOf } from './warm-transfer-tool.js';

/** What a built-in tool needs from the agent. */
export interface BuiltinToolContext {
  /** Carries out a call action (rejects with an AppError when it cannot be done). */
  act(action: AgentAction): Promise<void>;
  /** Resolves once the response that called the tool is done. */
  readonly parentDone: Promise<void>;
  /** Resolves once everything the model said so far has been played to the caller (or a time limit passed). */
  playoutDrained(): Promise<void>;
}

function failed(code: string, message: string): FunctionCallOutcome {
  return { output: JSON.stringify({ ok: false, error: { code, message } }), respond: true };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'ACTION_FAILED';
}

/**
 * Runs a built-in call tool:
 * - `hangup`: waits for the parent response to finish and for its audio (the goodbye) to be played, then hangs up;
 * - `transfer`: the same wait, then a blind transfer to the destination named by `target`; on failure the model is
 *   told;
 * - `send_dtmf`: sends the digits at once and tells the model the outcome;
 * - `warm_transfer`: the same wait, then a warm transfer (`warm-transfer.ts`); if the person is busy, does not
 *   answer or declines, the output says why and the model goes on with the caller.
 */
export async function runBuiltinTool(
  spec: BuiltinToolSpec,
  argsJson: string,
  ctx: BuiltinToolContext,
): Promise<FunctionCallOutcome> {
  let args: unknown;
  try {
    args = argsJson.trim() === '' ? {} : JSON.parse(argsJson);
  } catch (err) {
    return failed('TOOL_INVALID_ARGUMENTS', `arguments are not JSON: ${messageOf(err)}`);
  }
  switch (spec.name) {
    case 'hangup': {
      // A goodbye ends the call even when the model garbled the optional reason.
      const a = parseBuiltinToolArguments('hangup', args);
      const reason = a.ok ? a.args.reason : undefined;
      await ctx.parentDone;
      await ctx.playoutDrained();
      try {
        await ctx.act({ type: 'hangup', ...(reason !== undefined ? { reason } : {}) });
        return { output: JSON.stringify({ ok: true }), respond: false };
      } catch (err) {
        return failed(codeOf(err), messageOf(err));
      }
    }
    case 'send_dtmf': {
      const a = parseBuiltinToolArguments('send_dtmf', args);
      if (!a.ok) return failed('TOOL_INVALID_ARGUMENTS', 'digits: 1 to 64 of 0-9 A-D * #');
      const digits = a.args.digits.toUpperCase();
      try {
        await ctx.act({ type: 'dtmf', digits });
        return { output: JSON.stringify({ ok: true, sent: digits }), respond: true };
      } catch (err) {
        return failed(codeOf(err), messageOf(err));
      }
    }
    case 'transfer': {
      const a = parseBuiltinToolArguments('transfer', args);
      const dest =
        a.ok && Object.hasOwn(spec.destinations, a.args.target) ? spec.destinations[a.args.target] : undefined;
      if (!dest) {
        return failed('TOOL_INVALID_ARGUMENTS', `target must be one of: ${Object.keys(spec.destinations).join(', ')}`);
      }
      const target = transferTargetOf(dest);
      await ctx.parentDone;
      await ctx.playoutDrained();
      try {
        await ctx.act({ type: 'transfer', target });
        return { output: JSON.stringify({ ok: true }), respond: false };
      } catch (err) {
        return failed(codeOf(err), messageOf(err));
      }
    }
    case 'warm_transfer': {
      // Runs until the caller is put through (the call then ends) or is back with the agent (the output says why).
      const a = parseWarmTransferArguments(args, spec.destinations);
      if (!a.ok) return failed('TOOL_INVALID_ARGUMENTS', a.message);
      await ctx.parentDone;
      await ctx.playoutDrained();
      try {
        await ctx.act({ type: 'warmTransfer', transfer: { target: a.target, summary: a.summary, reason: a.reason } });
        return { output: JSON.stringify({ ok: true }), respond: false };
      } catch (err) {
        return failed(codeOf(err), messageOf(err));
      }
    }
  }
}
