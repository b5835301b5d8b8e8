import type { Logger } from '../../observability/logger.js';
import type { LifecycleEventData } from '../call-lifecycle.js';
import type { CloseReason } from '../close-reason.js';
import type { MediaBridge } from '../media-bridge.js';
import type { MediaLeg, SpeechDetectorFactory } from '../media-leg.js';
import type { CallInfo } from '../voice-agent.js';
import { listenForAnsweringMachine } from './amd-listener.js';
import { hangUpAfterMessage } from './amd-message.js';
import type { AmdResult } from './amd-result.js';

/** The parts of a call session the AMD step uses. */
export interface AmdStepCall {
  readonly id: string;
  readonly info: Pick<CallInfo, 'amd'>;
  readonly log: Logger;
  readonly closing: boolean;
  record(type: 'amd.result', data: LifecycleEventData['amd.result']): void;
  close(reason: CloseReason): Promise<void>;
}

/**
 * Answering-machine detection before the agent starts (outbound calls that ask for it): listens, records the
 * verdict (`amd.result`), hangs up on a machine when the route says so (`ended`), or for a machine that gets a
 * message drops the held greeting and beep and arms the hangup after the agent's message. Undefined without AMD.
 */
export async function answeringMachineStep(
  call: AmdStepCall,
  o: { leg: MediaLeg; bridge: MediaBridge; speech: SpeechDetectorFactory | undefined; signal: AbortSignal },
): Promise<AmdResult | undefined | 'ended'> {
  const amd = call.info.amd;
  if (!amd) return undefined;
  const result = await listenForAnsweringMachine({
    settings: amd.settings,
    leg: o.leg,
    speech: o.speech,
    asterisk: amd.asterisk,
    callId: call.id,
    log: call.log,
    signal: o.signal,
  });
  if (call.closing) return 'ended';
  call.log.info({ amd: result }, 'answering-machine detection done');
  call.record('amd.result', { ...result });
  if (result.result !== 'machine') return result;
  if (amd.settings.machine === 'hangup') {
    await call.close('amd_machine');
    return 'ended';
  }
  o.bridge.discardHeldAudio(); // the greeting and the beep are not for the agent to answer
  hangUpAfterMessage(o.bridge.playout, () => void call.close('amd_message_left'));
  return result;
}
