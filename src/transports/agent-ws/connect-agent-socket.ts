import type { WebSocket } from 'ws';
import type { Logger } from '../../observability/logger.js';
import { AGENT_CALL_ID_HEADER, signAgentRequest } from '../../protocols/agent/signing.js';
import { openWebSocket } from '../open-websocket.js';
import {
  AgentConnectError,
  classifyConnectError,
  classifyUpgradeStatus,
  connectAbortedError,
  connectTimeoutError,
  redactUrl,
} from './agent-connect-error.js';
import { AgentSocket } from './agent-socket.js';

/** Default send-buffer bound for audio: about 2 s of 16 kHz PCM16. */
export const DEFAULT_AGENT_MAX_BUFFERED_BYTES = 64 * 1024;
/** Default largest frame accepted from an agent. */
export const DEFAULT_AGENT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_AGENT_CLOSE_TIMEOUT_MS = 2000;

export interface ConnectAgentSocketOptions {
  /** The route's `ws://` or `wss://` URL. */
  readonly url: string;
  /** When set, the request carries `X-Ava-Timestamp` and `X-Ava-Signature` (see protocols/agent/signing.ts). */
  readonly secret?: string;
  /** Sent as `X-Ava-Call-Id`; also bound into log lines. */
  readonly callId: string;
  /** Extra request headers (e.g. a bearer token the agent expects). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly subprotocols?: readonly string[];
  /** Upper bound for TCP connect + TLS + HTTP upgrade. */
  readonly connectTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly maxBufferedBytes?: number;
  readonly maxMessageBytes?: number;
  readonly closeTimeoutMs?: number;
}

/**
 * Opens the WebSocket to an agent for one call and resolves once the upgrade succeeded. Rejects with an
 * `AgentConnectError`: `AGENT_UNREACHABLE` (retryable) for refused/DNS/reset/timeout, `AGENT_AUTH_REJECTED` for
 * 401/403, `AGENT_HANDSHAKE_FAILED` for any other answer, `AGENT_URL_INVALID`, or `AGENT_CONNECT_ABORTED` when
 * `signal` fires. Redirects are not followed. Compression is off: the payload is mostly audio.
 */
export function connectAgentSocket<Out = unknown>(options: ConnectAgentSocketOptions): Promise<AgentSocket<Out>> {
  const { url, callId } = options;
  const log = options.logger.child({ callId, agentUrl: redactUrl(url) });
  const headers: Record<string, string> = {
    ...options.headers,
    ...(options.secret === undefined
      ? { [AGENT_CALL_ID_HEADER]: callId }
      : signAgentRequest({ secret: options.secret, url, callId })),
  };
  return openWebSocket({
    url,
    headers,
    ...(options.subprotocols ? { protocols: options.subprotocols } : {}),
    maxPayload: options.maxMessageBytes ?? DEFAULT_AGENT_MAX_MESSAGE_BYTES,
    connectTimeoutMs: options.connectTimeoutMs,
    signal: options.signal,
    log,
    errors: {
      invalidUrl: (cause) => invalidUrl(url, cause),
      socket: (err) => classifyConnectError(err, url),
      upgradeRefused: (status) => classifyUpgradeStatus(status, url),
      timeout: () => connectTimeoutError(url, options.connectTimeoutMs),
      aborted: (reason) => connectAbortedError(url, reason),
    },
    wrap: (ws) => {
      log.debug({ protocol: ws.protocol }, 'agent connected');
      return new AgentSocket<Out>(ws, {
        callId,
        logger: log,
        maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_AGENT_MAX_BUFFERED_BYTES,
        closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_AGENT_CLOSE_TIMEOUT_MS,
      });
    },
  });
}

function invalidUrl(url: string, cause?: unknown): AgentConnectError {
  return new AgentConnectError(`agent URL ${redactUrl(url)} is not a ws:// or wss:// URL`, {
    code: 'AGENT_URL_INVALID',
    category: 'configuration',
    retryable: false,
    cause,
  });
}

/**
 * An agent connection that came in (accepted by the adapter's HTTP server, possibly in another process) as the call's
 * `AgentSocket`, with the default send-buffer bound and close timeout.
 */
export function acceptedAgentSocket<Out = unknown>(ws: WebSocket, callId: string, logger: Logger): AgentSocket<Out> {
  return new AgentSocket<Out>(ws, {
    callId,
    logger,
    maxBufferedBytes: DEFAULT_AGENT_MAX_BUFFERED_BYTES,
    closeTimeoutMs: DEFAULT_AGENT_CLOSE_TIMEOUT_MS,
  });
}
