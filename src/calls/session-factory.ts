import type { MediaClock } from '../audio/media-clock.js';
import type { Config } from '../config/load-config.js';
import { callLogger, type Logger } from '../observability/logger.js';
import { legFormatOf } from './agents/agent-factory.js';
import type { CallTelephony } from './call-control.js';
import { CallSession } from './call-session.js';
import type { SpeechDetectorFactory } from './media-leg.js';
import type { AgentFactory, CallInfo } from './voice-agent.js';

/** What a new call needs to become a session; `legFormat` defaults to the one the route asks for. */
export type NewSessionInfo = Omit<CallInfo, 'legFormat'> & { legFormat?: CallInfo['legFormat'] };

/** Makes a call session; used by the AudioSocket intake (dialplan-direct calls) and the Stasis controller. */
export type SessionFactory = (info: NewSessionInfo, extra?: { telephony?: CallTelephony }) => CallSession;

export interface SessionFactoryDeps {
  config: Pick<Config, 'playout' | 'agent' | 'mediaSilence' | 'audiosocket'> & Partial<Pick<Config, 'mediaWorkers'>>;
  agentFactory: AgentFactory;
  clock: MediaClock;
  speech: SpeechDetectorFactory | undefined;
  logger: Logger;
}

/** A factory of call sessions with the service's settings (playout, barge-in, timeouts, silence). */
export function createSessionFactory(deps: SessionFactoryDeps): SessionFactory {
  const { config, agentFactory, clock, speech, logger } = deps;
  return (info, extra = {}) => {
    const route = info.route;
    return new CallSession({
      ...(extra.telephony ? { telephony: extra.telephony, legDtmf: false } : {}),
      info: { ...info, legFormat: info.legFormat ?? legFormatOf(route) },
      agentFactory,
      clock,
      playoutMaxMs: config.playout.maxMs,
      bargeIn: route.bargeIn.enabled,
      speech,
      // A WebRTC route without a URL waits for a person (or program) to take the call at /v1/agent/webrtc; a dial-in
      // route waits its `waitMs` for an agent to claim it at /v1/agents/ws, then has the usual time to accept.
      // A SIP-path agent first waits for the provider's incoming-call webhook (its own acceptTimeoutMs).
      agentConnectTimeoutMs:
        route.agent.kind === 'webrtc' && !route.agent.url
          ? config.agent.waitTimeoutMs
          : route.agent.kind === 'dial-in'
            ? route.agent.waitMs + config.agent.connectTimeoutMs
            : route.agent.kind === 'openai-sip'
              ? route.agent.acceptTimeoutMs + config.agent.connectTimeoutMs
              : config.agent.connectTimeoutMs,
      logger: callLogger(logger, info.callId, { route: route.name }),
      gapFillAfterMs: config.mediaSilence.gapFillAfterMs,
      silence: {
        ariCheckAfterMs: config.mediaSilence.ariCheckAfterMs,
        directLimitMs: config.audiosocket.idleTimeoutMs,
      },
      mediaWorkersOn: (config.mediaWorkers ?? 0) > 0,
    });
  };
}
