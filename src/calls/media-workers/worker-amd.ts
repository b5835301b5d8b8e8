import type { WorkerCallAmd } from '../../protocols/media-worker/amd-messages.js';
import type { Logger } from '../../observability/logger.js';
import { answeringMachineStep } from '../amd/amd-step.js';
import type { AmdResult } from '../amd/amd-result.js';
import type { LifecycleEventData } from '../call-lifecycle.js';
import type { CloseReason } from '../close-reason.js';
import type { MediaBridge } from '../media-bridge.js';
import type { MediaLeg, SpeechDetectorFactory } from '../media-leg.js';
import type { CallInfo } from '../voice-agent.js';

/** A call's AMD as it crosses to its worker (`explicit` only matters to the primary's originate). */
export function workerAmdOf(amd: CallInfo['amd']): WorkerCallAmd | undefined {
  if (!amd) return undefined;
  const { explicit: _explicit, ...settings } = amd.settings;
  return { settings, ...(amd.asterisk ? { asterisk: amd.asterisk } : {}) };
}

/** What the AMD step on a worker reports to the call's owner. */
export interface WorkerAmdReports {
  /** The verdict, recorded on the call as `amd.result` (a `call.event`). */
  result(data: LifecycleEventData['amd.result']): void;
  /** Asks the call's owner to end the call (`call.end`): a machine hung up on, or its message left. */
  end(reason: 'amd_machine' | 'amd_message_left'): void;
}

/**
 * Answering-machine detection of a call whose media is on this worker, before its agent starts: the same step as
 * in one process (`answeringMachineStep`: listen on the leg, Silero VAD and the beep detector; or Asterisk's verdict
 * and the beep), with the call's record and end going to its owner in the primary, which decides. Resolves with the
 * verdict for the agent, undefined without AMD, or `ended` when the call is over (or being ended by its owner).
 */
export async function workerAmdStep(o: {
  info: CallInfo;
  leg: MediaLeg;
  bridge: MediaBridge;
  speech: SpeechDetectorFactory | undefined;
  signal: AbortSignal;
  log: Logger;
  reports: WorkerAmdReports;
}): Promise<AmdResult | undefined | 'ended'> {
  if (!o.info.amd) return undefined;
  let ending = false;
  return answeringMachineStep(
    {
      id: o.info.callId,
      info: o.info,
      log: o.log,
      get closing() {
        return ending || o.signal.aborted;
      },
      record: (_type, data) => o.reports.result(data),
      close: async (reason: CloseReason) => {
        if (reason !== 'amd_machine' && reason !== 'amd_message_left') return;
        ending = reason === 'amd_machine';
        o.reports.end(reason);
      },
    },
    { leg: o.leg, bridge: o.bridge, speech: o.speech, signal: o.signal },
  );
}
