import { type AudioFormat, PCM8K, PCM16K } from '../../audio/format.js';
import type { Route } from '../../config/routes.js';
import { AppError } from '../../errors/app-error.js';
import { assertNever } from '../../lib/assert-never.js';
import type { Logger } from '../../observability/logger.js';
import type { AgentFactory, CallInfo, VoiceAgent } from '../voice-agent.js';
import { EchoAgent } from './echo-agent.js';

export interface AgentFactoryDeps {
  logger: Logger;
  /** Agent secrets by route name (resolved from the environment). */
  routeSecrets: Readonly<Record<string, string>>;
  /** Extra agent kinds (tests, embedders); consulted before the built-in ones. */
  custom?: Partial<Record<string, (call: CallInfo) => VoiceAgent>>;
}

export function legFormatOf(route: Route): AudioFormat {
  return route.audioFormat === 'slin16' ? PCM16K : PCM8K;
}

/** Builds the agent a call's route asks for. */
export function createAgentFactory(deps: AgentFactoryDeps): AgentFactory {
  return (call: CallInfo): VoiceAgent => {
    const agent = call.route.agent;
    const custom = deps.custom?.[agent.kind];
    if (custom) return custom(call);
    switch (agent.kind) {
      case 'echo':
        return new EchoAgent(call.legFormat);
      case 'websocket':
      case 'twilio':
        throw new AppError(`agent kind ${agent.kind} is not available in this build`, {
          code: 'AGENT_KIND_UNAVAILABLE',
          category: 'configuration',
        });
      default:
        return assertNever(agent, 'agent kind');
    }
  };
}
