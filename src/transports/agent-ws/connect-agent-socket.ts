import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { Logger } from '../../observability/logger.js';
import { AGENT_CALL_ID_HEADER, signAgentRequest } from '../../protocols/agent/signing.js';
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
  const { url, callId, signal } = options;
  const log = options.logger.child({ callId, agentUrl: redactUrl(url) });

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    return Promise.reject(invalidUrl(url, err));
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return Promise.reject(invalidUrl(url));
  if (signal.aborted) return Promise.reject(connectAbortedError(url, signal.reason));

  const headers: Record<string, string> = {
    ...options.headers,
    ...(options.secret === undefined
      ? { [AGENT_CALL_ID_HEADER]: callId }
      : signAgentRequest({ secret: options.secret, url, callId })),
  };

  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, [...(options.subprotocols ?? [])], {
        headers,
        perMessageDeflate: false,
        followRedirects: false,
        maxPayload: options.maxMessageBytes ?? DEFAULT_AGENT_MAX_MESSAGE_BYTES,
      });
    } catch (err) {
      reject(classifyConnectError(err, url));
      return;
    }
    let settled = false;

    const fail = (error: AgentConnectError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // Late errors from the aborted handshake have nowhere to go; keep one listener so they are not thrown.
      ws.on('error', () => {});
      ws.terminate();
      log.debug({ code: error.code, status: error.status }, 'agent connect failed');
      reject(error);
    };

    const onOpen = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      log.debug({ protocol: ws.protocol }, 'agent connected');
      resolve(
        new AgentSocket<Out>(ws, {
          callId,
          logger: log,
          maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_AGENT_MAX_BUFFERED_BYTES,
          closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_AGENT_CLOSE_TIMEOUT_MS,
        }),
      );
    };
    const onError = (err: Error): void => fail(classifyConnectError(err, url));
    const onUnexpectedResponse = (_req: ClientRequest, res: IncomingMessage): void => {
      res.resume();
      fail(classifyUpgradeStatus(res.statusCode ?? 0, url));
    };
    const onAbort = (): void => fail(connectAbortedError(url, signal.reason));
    const timer = setTimeout(() => fail(connectTimeoutError(url, options.connectTimeoutMs)), options.connectTimeoutMs);

    function cleanup(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onUnexpectedResponse);
    }

    ws.on('open', onOpen);
    ws.on('error', onError);
    ws.on('unexpected-response', onUnexpectedResponse);
    signal.addEventListener('abort', onAbort, { once: true });
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
