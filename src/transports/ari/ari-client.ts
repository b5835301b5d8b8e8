/**
 * The ARI REST client: one object per Asterisk, grouping the resource operations
 * (`client.channels.answer(id)`, `client.bridges.create({ type: 'mixing' })`, ...).
 * Every method takes an optional `signal` and `timeoutMs`, resolves with a parsed resource (or nothing for 204)
 * and rejects with `AriHttpError` (an HTTP error status), `AriRequestError` (no answer) or `ProtocolError`
 * (`ARI_BAD_RESPONSE`, an answer that does not match the resource schema).
 */
import type { Logger } from '../../observability/logger.js';
import { AriEndpoint, type AriEndpointOptions } from './ari-endpoint.js';
import { AriHttp } from './ari-http.js';
import { BridgesApi } from './bridges-api.js';
import { ChannelsApi } from './channels-api.js';
import { PlaybacksApi, RecordingsApi } from './media-api.js';
import { ApplicationsApi, AsteriskApi, EndpointsApi } from './system-api.js';

export interface AriClientOptions extends AriEndpointOptions {
  /** Default per-request timeout in ms (10 000). */
  readonly requestTimeoutMs?: number;
  /** The fetch implementation; the global one unless given. */
  readonly fetch?: typeof globalThis.fetch;
  /** Gets one debug line per request (method, path, status, ms); never credentials. */
  readonly logger?: Logger;
}

export class AriClient {
  readonly endpoint: AriEndpoint;
  readonly asterisk: AsteriskApi;
  readonly applications: ApplicationsApi;
  readonly endpoints: EndpointsApi;
  readonly channels: ChannelsApi;
  readonly bridges: BridgesApi;
  readonly playbacks: PlaybacksApi;
  readonly recordings: RecordingsApi;

  constructor(options: AriClientOptions) {
    this.endpoint = new AriEndpoint(options);
    const http = new AriHttp({
      endpoint: this.endpoint,
      requestTimeoutMs: options.requestTimeoutMs,
      fetch: options.fetch,
      logger: options.logger?.child({ component: 'ari-client' }),
    });
    this.asterisk = new AsteriskApi(http);
    this.applications = new ApplicationsApi(http);
    this.endpoints = new EndpointsApi(http);
    this.channels = new ChannelsApi(http);
    this.bridges = new BridgesApi(http);
    this.playbacks = new PlaybacksApi(http);
    this.recordings = new RecordingsApi(http);
  }

  toJSON(): Record<string, unknown> {
    return { ari: this.endpoint.toJSON() };
  }
}
