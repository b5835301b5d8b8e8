import { type AudioFormat, PCM8K, PCM16K } from '../../audio/format.js';
import type { Route } from '../../config/routes.js';
import { assertNever } from '../../lib/assert-never.js';
import type { Logger } from '../../observability/logger.js';
import type { AdapterEvent } from '../../protocols/agent/index.js';
import type { AgentFactory, CallInfo, VoiceAgent } from '../voice-agent.js';
import { reconnectPolicyOf } from './agent-reconnect.js';
import { createDialInAgent, type DialInClaims } from './dial-in-agent.js';
import { dialAgentSocket } from './dial-agent-socket.js';
import { EchoAgent } from './echo-agent.js';
import { NativeWsAgent } from './native-ws-agent.js';
import { createPipecatAgent } from './pipecat-agent-factory.js';
import type { OpenAiSipCalls } from '../openai-sip-calls.js';
import { createOpenAiSipAgent, createRealtimeAgent, type RealtimeAgentDeps } from './realtime-agent-factory.js';
import type { TranscriptSink } from './realtime-transcripts.js';
import { TwilioWsAgent } from './twilio-ws-agent.js';
import { resolveWebRtcAgentSettings, type WebRtcAgentSettings, webrtcAgentOptions } from './webrtc-agent-options.js';
import { WebRtcAgent } from './webrtc-agent.js';

export interface AgentFactoryDeps {
  logger: Logger;
  /** Agent secrets by route name (resolved from the environment). */
  routeSecrets: Readonly<Record<string, string>>;
  /** Extra agent kinds (tests, embedders); consulted before the built-in ones. */
  custom?: Partial<Record<string, (call: CallInfo) => VoiceAgent>>;
  /** Tool runner and transcript store of OpenAI Realtime agents; defaults when absent (see RealtimeAgentDeps). */
  realtime?: RealtimeAgentDeps;
  /** Where transcripts of agents that report them (Pipecat bots) go; logged at debug level when absent. */
  transcripts?: TranscriptSink;
  /** SIP-path calls waiting for their incoming-call webhook (`openai-sip` routes); such calls fail without it. */
  openaiSip?: OpenAiSipCalls;
  /** Adapter-wide WebRTC settings (ICE servers, host addresses, clock, waiting calls); defaults when absent. */
  webrtc?: WebRtcAgentSettings;
  /** Agents of calls they placed themselves (`invite`); consulted first, whatever the route's agent kind. */
  invited?: { agentFor(call: CallInfo): VoiceAgent | undefined };
  /**
   * How `dial-in` calls get their agent's connection (`localDialInClaims` where the HTTP server is; the primary's,
   * through the channel, on a media worker); such calls fail with `AGENT_ENDPOINT_MISSING` when absent.
   */
  dialIn?: DialInClaims | undefined;
}

export function legFormatOf(route: Route): AudioFormat {
  return route.audioFormat === 'slin16' ? PCM16K : PCM8K;
}

/** Builds the agent a call's route asks for. */
export function createAgentFactory(deps: AgentFactoryDeps): AgentFactory {
  const webrtc = resolveWebRtcAgentSettings(deps.webrtc);
  return (call: CallInfo): VoiceAgent => {
    const invited = deps.invited?.agentFor(call);
    if (invited) return invited;
    const agent = call.route.agent;
    const custom = deps.custom?.[agent.kind];
    const log = (kind: string) => deps.logger.child({ callId: call.callId, agent: kind });
    if (custom) return custom(call);
    switch (agent.kind) {
      case 'echo':
        return new EchoAgent(call.legFormat);
      case 'websocket':
        if (agent.dialect === 'pipecat')
          return createPipecatAgent(call, agent, deps.routeSecrets[call.route.name], deps.transcripts, deps.logger);
        return new NativeWsAgent({
          open: dialAgentSocket<AdapterEvent>(
            {
              callId: call.callId,
              url: agent.url,
              secret: deps.routeSecrets[call.route.name],
              reconnect: agent.reconnect,
            },
            log('websocket'),
          ),
          sampleRate: agent.sampleRate,
          logger: log('websocket'),
        });
      case 'twilio':
        return new TwilioWsAgent({
          url: agent.url,
          secret: deps.routeSecrets[call.route.name],
          reconnect: reconnectPolicyOf(agent.reconnect),
          logger: deps.logger.child({ callId: call.callId, agent: 'twilio' }),
        });
      case 'webrtc':
        return new WebRtcAgent(
          webrtcAgentOptions(call, agent, deps.routeSecrets[call.route.name], webrtc, deps.logger),
        );
      case 'dial-in':
        return createDialInAgent(
          call,
          agent,
          deps.routeSecrets[call.route.name],
          deps.dialIn,
          deps.transcripts,
          deps.logger,
        );
      case 'openai-realtime':
        return createRealtimeAgent(call, agent, deps.routeSecrets[call.route.name], deps.realtime ?? {}, deps.logger);
      case 'openai-sip':
        return createOpenAiSipAgent(
          call,
          agent,
          deps.routeSecrets[call.route.name],
          deps.realtime ?? {},
          deps.openaiSip,
          deps.logger,
        );
      default:
        return assertNever(agent, 'agent kind');
    }
  };
}
