import type { Logger } from '../../observability/logger.js';
import { connectAbortedError, redactUrl } from '../agent-ws/agent-connect-error.js';
import { openWebSocket } from '../open-websocket.js';
import {
  classifyRealtimeSocketError,
  classifyRealtimeUpgradeAnswer,
  RealtimeConnectError,
} from './realtime-connect-error.js';
import { RealtimeSocket } from './realtime-socket.js';

/** How the API key travels: OpenAI's `Authorization: Bearer`, Azure's `api-key` header, or not at all. */
export type RealtimeAuthScheme = 'bearer' | 'api-key' | 'none';

export interface ConnectRealtimeSocketOptions {
  /** Full `ws://` or `wss://` URL, query included (`?model=…`). */
  readonly url: string;
  /** The API key; never logged. */
  readonly apiKey: string | undefined;
  readonly auth: RealtimeAuthScheme;
  /** Adds `OpenAI-Beta: realtime=v1` (the preview dialect). */
  readonly beta: boolean;
  readonly callId: string;
  readonly connectTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly maxBufferedBytes?: number;
  /** Largest event accepted from the server. */
  readonly maxMessageBytes?: number;
  readonly closeTimeoutMs?: number;
}

/** Default send-buffer bound for appends: about 5 s of 24 kHz PCM16 in base64 JSON. */
export const DEFAULT_REALTIME_MAX_BUFFERED_BYTES = 320 * 1024;
export const DEFAULT_REALTIME_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Most bytes of an HTTP error answer read to classify it. */
const MAX_ERROR_BODY = 4096;

/**
 * Opens the WebSocket to a Realtime server and resolves once the upgrade succeeded. Rejects with a
 * `RealtimeConnectError` (see its codes) or `AGENT_CONNECT_ABORTED` when `signal` fires. The key is sent in the
 * header the `auth` scheme names and appears in no message or log. Redirects are not followed; compression is off.
 */
export function connectRealtimeSocket(options: ConnectRealtimeSocketOptions): Promise<RealtimeSocket> {
  const { url } = options;
  const where = redactUrl(url);
  const log = options.logger.child({ realtimeUrl: where });
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined && options.auth === 'bearer') headers.Authorization = `Bearer ${options.apiKey}`;
  if (options.apiKey !== undefined && options.auth === 'api-key') headers['api-key'] = options.apiKey;
  if (options.beta) headers['OpenAI-Beta'] = 'realtime=v1';
  return openWebSocket({
    url,
    headers,
    maxPayload: options.maxMessageBytes ?? DEFAULT_REALTIME_MAX_MESSAGE_BYTES,
    connectTimeoutMs: options.connectTimeoutMs,
    signal: options.signal,
    errorBodyBytes: MAX_ERROR_BODY,
    log,
    errors: {
      invalidUrl: (cause) => invalidUrl(where, cause),
      socket: (err) => classifyRealtimeSocketError(err, where),
      upgradeRefused: (status, body) => classifyRealtimeUpgradeAnswer(status, body, where),
      timeout: () =>
        new RealtimeConnectError(
          `realtime server at ${where} did not complete the handshake within ${options.connectTimeoutMs} ms`,
          { code: 'REALTIME_UNREACHABLE', category: 'timeout', retryable: true },
        ),
      aborted: (reason) => connectAbortedError(url, reason),
    },
    wrap: (ws) =>
      new RealtimeSocket(ws, {
        callId: options.callId,
        logger: log,
        maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_REALTIME_MAX_BUFFERED_BYTES,
        closeTimeoutMs: options.closeTimeoutMs ?? 2000,
      }),
  });
}

function invalidUrl(where: string, cause?: unknown): RealtimeConnectError {
  return new RealtimeConnectError(`realtime URL ${where} is not a ws:// or wss:// URL`, {
    code: 'REALTIME_URL_INVALID',
    category: 'configuration',
    retryable: false,
    cause,
  });
}

/**
 * The URL to dial: the configured base URL with `model=<model>` added unless the URL already names a model or
 * an Azure `deployment`.
 */
export function realtimeUrl(baseUrl: string, model: string | undefined): string {
  const u = new URL(baseUrl);
  if (model !== undefined && !u.searchParams.has('model') && !u.searchParams.has('deployment')) {
    u.searchParams.set('model', model);
  }
  return u.toString();
}

/** The usual auth scheme for a URL: `api-key` for Azure OpenAI hosts, bearer otherwise. */
export function defaultAuthScheme(url: string): RealtimeAuthScheme {
  try {
    const host = new URL(url).hostname;
    return host.endsWith('.azure.com') || host.endsWith('.azure.us') ? 'api-key' : 'bearer';
  } catch {
    return 'bearer';
  }
}
