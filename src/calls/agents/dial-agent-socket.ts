import type { ReconnectConfig } from '../../config/routes.js';
import type { Logger } from '../../observability/logger.js';
import type { AgentSocket } from '../../transports/agent-ws/agent-socket.js';
import { connectAgentSocketWithRetry } from '../../transports/agent-ws/connect-with-retry.js';
import { reconnectPolicyOf } from './agent-reconnect.js';

/** Where and how the adapter dials an agent's WebSocket. */
export interface AgentDialTarget {
  readonly callId: string;
  readonly url: string;
  readonly secret: string | undefined;
  readonly reconnect: ReconnectConfig;
}

/**
 * An `open` for agents the adapter dials: connects to the route's URL (signed when the route has a secret),
 * retried under the route's reconnect policy; every call of it (a reconnect too) dials afresh.
 */
export function dialAgentSocket<Out>(
  target: AgentDialTarget,
  log: Logger,
): (signal: AbortSignal) => Promise<AgentSocket<Out>> {
  const policy = reconnectPolicyOf(target.reconnect);
  return (signal) =>
    connectAgentSocketWithRetry<Out>({
      url: target.url,
      ...(target.secret ? { secret: target.secret } : {}),
      callId: target.callId,
      connectTimeoutMs: 5000,
      signal,
      logger: log,
      policy,
      onRetry: (info) => log.info({ attempt: info.attempt, delayMs: info.delayMs }, 'agent connect failed; retrying'),
    });
}
