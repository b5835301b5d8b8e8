import type { AgentConfig } from '../../config/routes.js';
import type { Logger } from '../../observability/logger.js';
import type { CallInfo } from '../voice-agent.js';
import { dialAgentSocket } from './dial-agent-socket.js';
import { PipecatAgent } from './pipecat-agent.js';
import { loggingTranscriptSink, type TranscriptSink } from './realtime-transcripts.js';

type WebSocketAgentConfig = Extract<AgentConfig, { kind: 'websocket' }>;

/**
 * The Pipecat dialect with the adapter dialling: the bot runs a WebSocket server transport; the route's URL is
 * dialled (signed when the route has a secret, retried under its reconnect policy) when the call arrives.
 */
export function createPipecatAgent(
  call: CallInfo,
  agent: WebSocketAgentConfig,
  secret: string | undefined,
  transcripts: TranscriptSink | undefined,
  logger: Logger,
): PipecatAgent {
  const log = logger.child({ callId: call.callId, agent: 'pipecat' });
  return new PipecatAgent({
    open: dialAgentSocket({ callId: call.callId, url: agent.url, secret, reconnect: agent.reconnect }, log),
    sampleRate: agent.sampleRate,
    transcripts: transcripts ?? loggingTranscriptSink(log),
    logger: log,
  });
}
