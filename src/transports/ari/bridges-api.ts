/** `/ari/bridges` operations. */
import {
  type Bridge,
  BridgeSchema,
  type BridgeType,
  type LiveRecording,
  type Playback,
} from '../../protocols/ari/index.js';
import { type AriHttp, type AriRequestOptions, opts, seg } from './ari-http.js';
import { playOn, recordOn } from './media-requests.js';
import type { PlayParams, RecordParams } from './media-requests.js';

export interface CreateBridgeParams extends AriRequestOptions {
  /** One type or several flags (sent comma-separated); Asterisk's default is `mixing`. */
  readonly type?: BridgeType | readonly BridgeType[];
  readonly name?: string;
  /** Creates the bridge with this id (`POST /bridges/{bridgeId}`). */
  readonly bridgeId?: string;
}

export interface AddChannelParams extends AriRequestOptions {
  /** One id or several (sent comma-separated, as one request). */
  readonly channel: string | readonly string[];
  readonly role?: string;
  readonly absorbDTMF?: boolean;
  readonly mute?: boolean;
  readonly inhibitConnectedLineUpdates?: boolean;
}

/** Bridge operations of one ARI connection. */
export class BridgesApi {
  readonly #http: AriHttp;

  constructor(http: AriHttp) {
    this.#http = http;
  }

  create(params: CreateBridgeParams = {}): Promise<Bridge> {
    const { bridgeId } = params;
    return this.#http.json(
      {
        ...opts(params),
        method: 'POST',
        path: bridgeId === undefined ? '/bridges' : `/bridges/${seg(bridgeId)}`,
        query: { type: params.type, name: params.name },
      },
      BridgeSchema,
    );
  }

  list(options: AriRequestOptions = {}): Promise<Bridge[]> {
    return this.#http.json({ ...opts(options), method: 'GET', path: '/bridges' }, BridgeSchema.array());
  }

  get(bridgeId: string, options: AriRequestOptions = {}): Promise<Bridge> {
    return this.#http.json({ ...opts(options), method: 'GET', path: `/bridges/${seg(bridgeId)}` }, BridgeSchema);
  }

  addChannel(bridgeId: string, params: AddChannelParams): Promise<void> {
    return this.#http.void({
      ...opts(params),
      method: 'POST',
      path: `/bridges/${seg(bridgeId)}/addChannel`,
      query: {
        channel: params.channel,
        role: params.role,
        absorbDTMF: params.absorbDTMF,
        mute: params.mute,
        inhibitConnectedLineUpdates: params.inhibitConnectedLineUpdates,
      },
    });
  }

  removeChannel(bridgeId: string, params: { readonly channel: string | readonly string[] } & AriRequestOptions) {
    return this.#http.void({
      ...opts(params),
      method: 'POST',
      path: `/bridges/${seg(bridgeId)}/removeChannel`,
      query: { channel: params.channel },
    });
  }

  destroy(bridgeId: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({ ...opts(options), method: 'DELETE', path: `/bridges/${seg(bridgeId)}` });
  }

  play(bridgeId: string, params: PlayParams): Promise<Playback> {
    return playOn(this.#http, `/bridges/${seg(bridgeId)}`, params);
  }

  record(bridgeId: string, params: RecordParams): Promise<LiveRecording> {
    return recordOn(this.#http, `/bridges/${seg(bridgeId)}`, params);
  }

  /** Plays music on hold to everyone in the bridge (`mohClass`: Asterisk's default class when absent). */
  startMoh(bridgeId: string, params: { readonly mohClass?: string } & AriRequestOptions = {}): Promise<void> {
    return this.#http.void({
      ...opts(params),
      method: 'POST',
      path: `/bridges/${seg(bridgeId)}/moh`,
      query: { mohClass: params.mohClass },
    });
  }

  /** Stops the bridge's music on hold. */
  stopMoh(bridgeId: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({ ...opts(options), method: 'DELETE', path: `/bridges/${seg(bridgeId)}/moh` });
  }
}
