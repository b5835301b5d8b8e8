import type { CallInfo } from '../voice-agent.js';
import type { AmdResult } from './amd-result.js';

export type { AmdResult };

/**
 * The call as its agent sees it once the verdict is known: `amdResult`, and for agents that only take string
 * parameters (Twilio `start.customParameters`, Pipecat) `amd`, `amdCause` and, for a machine that gets a message,
 * `amdBeep` (`true`/`false`) in `customParameters`.
 */
export function withAmdResult<C extends Omit<CallInfo, 'legFormat'>>(info: C, amd: AmdResult | undefined): C {
  if (!amd) return info;
  const params = {
    ...info.customParameters,
    amd: amd.result,
    amdCause: amd.cause,
    ...(amd.beep !== undefined ? { amdBeep: String(amd.beep) } : {}),
  };
  return { ...info, amdResult: amd, customParameters: params };
}
