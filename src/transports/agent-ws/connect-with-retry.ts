import type { AgentSocket } from './agent-socket.js';
import { type ConnectAgentSocketOptions, connectAgentSocket } from './connect-agent-socket.js';
import type { RetryPolicy } from '../../lib/retry-policy.js';
import { type RetryInfo, runWithReconnect } from './reconnect-policy.js';

export interface ConnectAgentSocketWithRetryOptions extends ConnectAgentSocketOptions {
  readonly policy: RetryPolicy;
  readonly onRetry?: (info: RetryInfo) => void;
}

/**
 * `connectAgentSocket` under a reconnect policy: retries `AGENT_UNREACHABLE` and retryable handshake failures,
 * stops at once on `AGENT_AUTH_REJECTED` and other non-retryable errors. Every attempt is signed afresh.
 */
export function connectAgentSocketWithRetry<Out = unknown>(
  options: ConnectAgentSocketWithRetryOptions,
): Promise<AgentSocket<Out>> {
  const { policy, onRetry, ...connect } = options;
  return runWithReconnect(
    (attempt) => {
      options.logger.debug({ callId: options.callId, attempt }, 'connecting to agent');
      return connectAgentSocket<Out>(connect);
    },
    { policy, signal: options.signal, ...(onRetry === undefined ? {} : { onRetry }) },
  );
}
