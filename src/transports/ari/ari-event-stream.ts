/**
 * The ARI events WebSocket (`/ari/events?app=…`): connects, parses every message into a typed `AriEvent`,
 * and reconnects with a backoff policy when the connection drops.
 *
 * Asterisk does not replay events missed while disconnected and sends nothing on connect (recorded with
 * Asterisk 22.10), so after `reconnected` the owner should reconcile its state through REST (`GET /channels`,
 * `GET /applications/{app}`).
 */
import WebSocket, { type ClientOptions } from 'ws';
import { AppError } from '../../errors/index.js';
import { delayFor, type RetryPolicy, shouldRetry, validateRetryPolicy } from '../../lib/retry-policy.js';
import { TypedEmitter } from '../../lib/typed-emitter.js';
import type { Logger } from '../../observability/logger.js';
import { type AriEvent, type AriEventParseFailure, parseAriEventText } from '../../protocols/ari/index.js';
import { AriEndpoint, type AriEndpointOptions } from './ari-endpoint.js';
import { redactSecrets } from './ari-errors.js';
import { DEFAULT_ARI_RECONNECT_POLICY } from './reconnect-policy.js';

export interface AriEventStreamOptions extends AriEndpointOptions {
  /** One or more Stasis application names to register. */
  readonly app: string | readonly string[];
  /** Also receive events of every channel, bridge and endpoint (`subscribeAll=true`). */
  readonly subscribeAll?: boolean;
  /** `basic` sends an Authorization header; `api_key` puts `user:password` in the query string. Default `basic`. */
  readonly auth?: 'basic' | 'api_key';
  /** Reconnect backoff (README "Retry policy"); default: unlimited attempts backing off from 0.5 s to 15 s. */
  readonly reconnect?: RetryPolicy;
  /** Interval of WebSocket pings; a connection that misses a pong is dropped. 0 disables. Default 20 000. */
  readonly pingIntervalMs?: number;
  /** Upgrade handshake timeout. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** TLS options for wss (e.g. `ca`, `rejectUnauthorized`). */
  readonly tls?: Pick<ClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  readonly logger?: Logger;
  /** Aborting closes the stream. */
  readonly signal?: AbortSignal;
  /** Source of jitter randomness, [0, 1). */
  readonly random?: () => number;
}

export interface AriStreamConnected {
  /** 1 for the first connection, then counting up. */
  readonly connection: number;
}
export interface AriStreamReconnected {
  readonly connection: number;
  /** Failed attempts between the drop and this connection. */
  readonly failedAttempts: number;
  readonly downtimeMs: number;
}
export interface AriStreamDisconnected {
  readonly connection: number;
  readonly code: number;
  readonly reason: string;
  readonly willReconnect: boolean;
}
export interface AriStreamUnparseable {
  readonly failure: AriEventParseFailure | { readonly reason: 'binary_frame'; readonly detail: string };
  readonly bytes: number;
}
export interface AriEventStreamStats {
  readonly connections: number;
  readonly received: number;
  readonly unknown: number;
  readonly unparseable: number;
}

export type AriEventStreamEvents = {
  /** A parsed event (including `UnknownEvent`). */
  event: [AriEvent];
  /** Every successful connection, the first included. */
  connected: [AriStreamConnected];
  /** A connection after a drop (follows its `connected`). */
  reconnected: [AriStreamReconnected];
  /** An open connection ended. */
  disconnected: [AriStreamDisconnected];
  /** A message that could not be parsed; it was logged and counted, not emitted. */
  unparseable: [AriStreamUnparseable];
  /** Reconnecting stopped: attempts exhausted or a non-retryable answer (e.g. 401). The stream is closed. */
  gaveUp: [AppError];
  /** `close()` finished. */
  closed: [];
};

type State = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/** One ARI events connection with automatic reconnect. */
export class AriEventStream extends TypedEmitter<AriEventStreamEvents> {
  readonly #endpoint: AriEndpoint;
  readonly #options: AriEventStreamOptions;
  readonly #policy: RetryPolicy;
  readonly #logger: Logger | undefined;
  readonly #random: () => number;
  readonly #displayUrl: string;
  #state: State = 'idle';
  #ws: WebSocket | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #failedAttempts = 0;
  #droppedAt: number | undefined;
  #stats = { connections: 0, received: 0, unknown: 0, unparseable: 0 };
  #start: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  #closing: Promise<void> | undefined;
  readonly #onAbort = () => void this.close();

  constructor(options: AriEventStreamOptions) {
    super();
    this.#endpoint = new AriEndpoint(options);
    this.#options = options;
    this.#policy = validateRetryPolicy(options.reconnect ?? DEFAULT_ARI_RECONNECT_POLICY);
    this.#logger = options.logger?.child({ component: 'ari-events' });
    this.#random = options.random ?? Math.random;
    this.#displayUrl = this.#url(false).toString();
  }

  /** The events URL without credentials. */
  get url(): string {
    return this.#displayUrl;
  }

  get state(): State {
    return this.#state;
  }

  stats(): AriEventStreamStats {
    return { ...this.#stats };
  }

  /**
   * Starts connecting. Resolves once the first connection is open; rejects if the stream gives up or is closed
   * before that. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    if (this.#start) return this.#start.promise;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    this.#start = { promise, resolve, reject };
    if (this.#state === 'closed') {
      reject(new AppError('ARI events stream is closed', { code: 'ARI_EVENTS_CLOSED', category: 'application' }));
      return promise;
    }
    const signal = this.#options.signal;
    if (signal?.aborted) {
      void this.close();
      return promise;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#connect();
    return promise;
  }

  /** Closes the connection and stops reconnecting. Idempotent; always resolves. */
  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    this.#start?.reject(
      new AppError('ARI events stream closed before it connected', {
        code: 'ARI_EVENTS_CLOSED',
        category: 'application',
      }),
    );
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2_000);
        ws.once('close', () => {
          clearTimeout(force);
          resolve();
        });
        if (ws.readyState === WebSocket.CLOSED) {
          clearTimeout(force);
          resolve();
        } else if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        else ws.terminate();
      });
    }
    if (wasOpen) this.#logger?.info({ url: this.#displayUrl }, 'ARI events stream closed');
    this.#safeEmit('closed');
  }

  #url(withKey: boolean): URL {
    const apps = typeof this.#options.app === 'string' ? [this.#options.app] : [...this.#options.app];
    const query = new URLSearchParams({ app: apps.join(',') });
    if (this.#options.subscribeAll) query.set('subscribeAll', 'true');
    if (withKey && this.#options.auth === 'api_key') query.set('api_key', this.#endpoint.apiKey());
    return this.#endpoint.eventsUrl(query);
  }

  #connect(): void {
    if (this.#state === 'closed') return;
    this.#state = 'connecting';
    const headers: Record<string, string> = {};
    if (this.#options.auth !== 'api_key') headers['Authorization'] = this.#endpoint.authorizationHeader();
    const ws = new WebSocket(this.#url(true), {
      ...this.#options.tls,
      headers,
      handshakeTimeout: this.#options.connectTimeoutMs ?? 10_000,
      perMessageDeflate: false,
    });
    this.#ws = ws;
    let opened = false;
    let lastError: string | undefined;
    let fatal: AppError | undefined;
    let alive = true;

    ws.on('unexpected-response', (req, res) => {
      const status = res.statusCode ?? 0;
      lastError = `HTTP ${status}`;
      // A restarting Asterisk answers /ari/events with 404 from the moment its HTTP server is up until res_ari has
      // loaded (seen on 22.10.1): once this stream was connected, a 404 means that, and is retried. Before the first
      // connection it means a wrong ARI_URL or ARI not enabled, and start() fails at once.
      const restarting = status === 404 && this.#stats.connections > 0;
      if (restarting) lastError = 'HTTP 404 (Asterisk starting: ARI not loaded yet)';
      if (status >= 400 && status < 500 && status !== 408 && status !== 429 && !restarting) {
        fatal = new AppError(`ARI events WebSocket refused: HTTP ${status}`, {
          code: status === 401 || status === 403 ? 'ARI_UNAUTHORIZED' : 'ARI_EVENTS_REFUSED',
          category: status === 401 || status === 403 ? 'authentication' : 'invalid_request',
          retryable: false,
          details: { status, url: this.#displayUrl },
        });
      }
      res.resume();
      req.destroy();
      ws.terminate();
    });
    ws.on('open', () => {
      if (this.#ws !== ws) return;
      opened = true;
      this.#state = 'open';
      this.#stats.connections++;
      const connection = this.#stats.connections;
      const failedAttempts = this.#failedAttempts;
      this.#failedAttempts = 0;
      this.#logger?.info({ url: this.#displayUrl, connection }, 'ARI events stream connected');
      this.#startPing(
        ws,
        () => alive,
        (v) => {
          alive = v;
        },
      );
      this.#safeEmit('connected', { connection });
      if (this.#droppedAt !== undefined) {
        const downtimeMs = Math.round(performance.now() - this.#droppedAt);
        this.#droppedAt = undefined;
        this.#safeEmit('reconnected', { connection, failedAttempts, downtimeMs });
      }
      this.#start?.resolve();
    });
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data, isBinary) => {
      if (this.#ws !== ws) return;
      this.#onMessage(data, isBinary);
    });
    ws.on('error', (err) => {
      lastError = redactSecrets(err.message, this.#endpoint.secrets());
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      clearInterval(this.#pingTimer);
      if (this.#state === 'closed') return;
      const reason = reasonBuf.toString('utf8');
      if (opened) {
        this.#droppedAt = performance.now();
        const willReconnect = fatal === undefined;
        this.#logger?.warn({ code, reason, willReconnect }, 'ARI events stream disconnected');
        this.#safeEmit('disconnected', { connection: this.#stats.connections, code, reason, willReconnect });
      } else {
        this.#logger?.debug({ url: this.#displayUrl, error: lastError }, 'ARI events connection attempt failed');
      }
      if (fatal) {
        this.#giveUp(fatal);
        return;
      }
      this.#scheduleRetry(lastError ?? `closed with code ${code}`);
    });
  }

  #startPing(ws: WebSocket, isAlive: () => boolean, setAlive: (v: boolean) => void): void {
    const interval = this.#options.pingIntervalMs ?? 20_000;
    if (interval <= 0) return;
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (!isAlive()) {
        this.#logger?.warn('ARI events stream missed a pong; dropping the connection');
        ws.terminate();
        return;
      }
      setAlive(false);
      ws.ping();
    }, interval);
    this.#pingTimer.unref();
  }

  #scheduleRetry(lastError: string): void {
    this.#failedAttempts++;
    if (!shouldRetry(this.#policy, this.#failedAttempts)) {
      this.#giveUp(
        new AppError(`ARI events stream gave up after ${this.#failedAttempts} failed attempts (${lastError})`, {
          code: 'ARI_EVENTS_GAVE_UP',
          category: 'connectivity',
          retryable: false,
          details: { url: this.#displayUrl },
        }),
      );
      return;
    }
    const delay = delayFor(this.#policy, this.#failedAttempts, this.#random);
    this.#state = 'waiting';
    this.#logger?.info(
      { url: this.#displayUrl, attempt: this.#failedAttempts, error: lastError, retryInMs: Math.round(delay) },
      this.#stats.connections === 0
        ? 'ARI events stream not connected yet; retrying'
        : 'ARI events stream reconnecting',
    );
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #giveUp(error: AppError): void {
    this.#logger?.error({ code: error.code, err: error.message }, 'ARI events stream gave up');
    this.#start?.reject(error);
    this.#safeEmit('gaveUp', error);
    void this.close();
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary) {
      this.#unparseable({
        failure: { reason: 'binary_frame', detail: 'binary frame on the events socket' },
        bytes: buf.length,
      });
      return;
    }
    const result = parseAriEventText(buf.toString('utf8'));
    if (!result.ok) {
      this.#unparseable({ failure: result.failure, bytes: buf.length });
      return;
    }
    this.#stats.received++;
    if (result.event.type === 'UnknownEvent') this.#stats.unknown++;
    this.#safeEmit('event', result.event);
  }

  #unparseable(info: AriStreamUnparseable): void {
    this.#stats.unparseable++;
    this.#logger?.warn({ failure: info.failure, bytes: info.bytes }, 'unparseable ARI event');
    this.#safeEmit('unparseable', info);
  }

  /** Emits without letting a listener's exception reach the socket handlers. */
  #safeEmit<K extends keyof AriEventStreamEvents & string>(event: K, ...args: AriEventStreamEvents[K]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      this.#logger?.error({ err, event }, 'ARI events listener threw');
    }
  }
}
