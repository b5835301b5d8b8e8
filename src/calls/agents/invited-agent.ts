import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import type { AdapterEvent } from '../../protocols/agent/index.js';
import type { AgentSocket } from '../../transports/agent-ws/agent-socket.js';
import type { CallInfo, InvitedAudio, VoiceAgent } from '../voice-agent.js';
import { NativeWsAgent } from './native-ws-agent.js';

export type { InvitedAudio } from '../voice-agent.js';

/**
 * The agent of a call placed with `invite`: a `NativeWsAgent` on the inviting socket, started without
 * `incoming`/`accept` (the agent knows the call) and never redialled (there is no URL to dial). `open` gives the
 * socket: the inviting connection itself in the process it came to, or that connection handed over to a media
 * worker.
 */
export function invitedNativeAgent(
  call: CallInfo,
  audio: InvitedAudio,
  open: (signal: AbortSignal) => Promise<AgentSocket<AdapterEvent>>,
  logger: Logger,
): VoiceAgent {
  return new NativeWsAgent({
    open: (signal, reconnect) => {
      if (reconnect) {
        return Promise.reject(
          new AppError('the agent that placed the call closed its connection', {
            code: 'AGENT_DISCONNECTED',
            category: 'connectivity',
          }),
        );
      }
      return open(signal);
    },
    sampleRate: audio.sampleRate,
    logger: logger.child({ agent: 'websocket', invited: true, route: call.route.name }),
    invited: { frameMs: audio.frameMs },
  });
}
