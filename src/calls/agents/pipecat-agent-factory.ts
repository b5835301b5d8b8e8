import type { AgentConfig } from '../../config/routes.js';
import type { Logger } from '../../observability/logger.js';
import { connectAgentSocketWithRetry } from '../../transports/agent-ws/connect-with-retry.js';
import type { CallInfo } from '../voice-agent.js';
import { reconnectPolicyOf } from './agent-reconnect.js';
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
  const policy = reconnectPolicyOf(agent.reconnect);
  return new PipecatAgent({
    open: (signal) =>
      connectAgentSocketWithRetry({
        url: agent.url,
        ...(secret ? { secret } : {}),
        callId: call.callId,
        connectTimeoutMs: 5000,
        signal,
        logger: log,
        policy,
        onRetry: (info) => log.info({ attempt: info.attempt, delayMs: info.delayMs }, 'bot connect failed; retrying'),
      }),
    sampleRate: agent.sampleRate,
    transcripts: transcripts ?? loggingTranscriptSink(log),
    logger: log,
  });
}
