import type { AppError } from '../errors/app-error.js';
import type { AgentAction, AgentOutput } from './voice-agent.js';

/**
 * The call side of an agent whose audio does not pass through the adapter (the `openai-sip` agent: Asterisk
 * bridges the caller with the provider's SIP leg). Audio, utterances and marks have nowhere to go and are
 * dropped; actions and failures reach the call as from any agent.
 */
export function controlOnlyOutput(call: {
  act(action: AgentAction): Promise<void>;
  fail(error: AppError): void;
}): AgentOutput {
  return {
    audio: () => undefined,
    endUtterance: () => undefined,
    mark: () => undefined,
    interrupt: () => ({ droppedMs: 0, utterances: [], marks: [] }),
    playedMs: () => 0,
    act: (action) => call.act(action),
    fail: (error) => call.fail(error),
  };
}
