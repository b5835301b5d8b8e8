import { AppError } from '../../errors/app-error.js';
import type { RealtimeAuthScheme } from './connect-realtime-socket.js';

/**
 * The Realtime calls API of SIP calls: `POST <base>/calls/{call_id}/accept|reject|hangup|refer`, where `<base>` is
 * the Realtime WebSocket base URL made HTTP (`wss://api.openai.com/v1/realtime` → `https://api.openai.com/v1/realtime`),
 * so one setting (a route's `url`) points both the sideband socket and these calls at OpenAI or a simulator.
 */
export interface RealtimeCallsClientOptions {
  /** The Realtime WebSocket base URL (`ws(s)://…/realtime`), without query. */
  readonly realtimeUrl: string;
  readonly apiKey: string | undefined;
  readonly auth: RealtimeAuthScheme;
  /** Upper bound of one request. Default 5000 ms. */
  readonly timeoutMs?: number;
}

export type RealtimeCallAction = 'accept' | 'reject' | 'hangup' | 'refer';

/** The HTTP base of the calls API for a Realtime WebSocket base URL. */
export function realtimeCallsBase(realtimeUrl: string): string {
  const u = new URL(realtimeUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  u.search = '';
  return u.toString().replace(/\/+$/, '');
}

/** The sideband WebSocket URL of a call: the Realtime base URL with `?call_id=`. */
export function sidebandUrl(realtimeUrl: string, providerCallId: string): string {
  const u = new URL(realtimeUrl);
  u.search = '';
  u.searchParams.set('call_id', providerCallId);
  return u.toString();
}

export class RealtimeCallsClient {
  readonly #o: RealtimeCallsClientOptions;
  readonly #base: string;

  constructor(options: RealtimeCallsClientOptions) {
    this.#o = options;
    this.#base = realtimeCallsBase(options.realtimeUrl);
  }

  /** Accepts a pending call with a session object (as in `session.update`). */
  accept(providerCallId: string, session: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    return this.#post(providerCallId, 'accept', session, signal);
  }

  /** Declines a pending call with a SIP status (the provider's default is 603). */
  reject(providerCallId: string, statusCode: number, signal?: AbortSignal): Promise<void> {
    return this.#post(providerCallId, 'reject', { status_code: statusCode }, signal);
  }

  hangup(providerCallId: string, signal?: AbortSignal): Promise<void> {
    return this.#post(providerCallId, 'hangup', {}, signal);
  }

  /** Transfers the call with a SIP REFER to `targetUri` (`sip:…` or `tel:…`). */
  refer(providerCallId: string, targetUri: string, signal?: AbortSignal): Promise<void> {
    return this.#post(providerCallId, 'refer', { target_uri: targetUri }, signal);
  }

  async #post(
    providerCallId: string,
    action: RealtimeCallAction,
    body: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const url = `${this.#base}/calls/${encodeURIComponent(providerCallId)}/${action}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const { apiKey, auth } = this.#o;
    if (apiKey !== undefined && auth === 'bearer') headers.authorization = `Bearer ${apiKey}`;
    if (apiKey !== undefined && auth === 'api-key') headers['api-key'] = apiKey;
    const timeout = AbortSignal.timeout(this.#o.timeoutMs ?? 5000);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        redirect: 'error',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new AppError(`realtime calls API ${action} failed: ${(err as Error).message}`, {
        code: 'REALTIME_CALLS_UNREACHABLE',
        category: 'connectivity',
        retryable: true,
        cause: err,
        details: { action },
      });
    }
    if (res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      return;
    }
    const text = (await res.text().catch(() => '')).slice(0, 500);
    throw new AppError(`realtime calls API ${action} answered ${res.status}`, {
      code: res.status === 401 ? 'REALTIME_AUTH_FAILED' : 'REALTIME_CALLS_REFUSED',
      category: res.status === 401 ? 'authentication' : res.status >= 500 ? 'server' : 'invalid_request',
      retryable: res.status >= 500 || res.status === 429,
      details: { action, status: res.status, body: text },
    });
  }
}
