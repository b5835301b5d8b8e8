/** `/ari/channels` operations: typed parameters in, parsed resources out. */
import {
  type Channel,
  ChannelSchema,
  type ExternalMediaConnectionType,
  type ExternalMediaEncapsulation,
  type ExternalMediaTransport,
  type HangupReason,
  type LiveRecording,
  type MediaDirection,
  type Playback,
  type SnoopDirection,
  VariableSchema,
} from '../../protocols/ari/index.js';
import { type AriHttp, type AriRequestOptions, opts, seg } from './ari-http.js';
import { type PlayParams, playOn, type RecordParams, recordOn } from './media-requests.js';

export type { PlayParams, RecordParams } from './media-requests.js';

/** Channel variables set at creation; sent as the JSON body `{"variables": {...}}`. */
export type ChannelVariables = Readonly<Record<string, string>>;

export interface OriginateParams extends AriRequestOptions {
  /** `tech/resource`, e.g. `PJSIP/trunk` or `PJSIP/+4930123@trunk`. */
  readonly endpoint: string;
  /** Stasis application the answered channel enters. */
  readonly app?: string;
  /** Arguments the StasisStart event carries (joined with commas). */
  readonly appArgs?: string | readonly string[];
  readonly extension?: string;
  readonly context?: string;
  readonly priority?: number;
  readonly label?: string;
  /** e.g. `"Agent" <1000>`. */
  readonly callerId?: string;
  /** Seconds to wait for an answer (Asterisk's default is 30). */
  readonly timeout?: number;
  readonly variables?: ChannelVariables;
  readonly channelId?: string;
  readonly otherChannelId?: string;
  readonly originator?: string;
  readonly formats?: string | readonly string[];
}

export interface ExternalMediaParams extends AriRequestOptions {
  readonly app: string;
  /** `host:port` to connect to (AudioSocket, RTP), or a websocket_client.conf connection id. */
  readonly external_host?: string;
  readonly encapsulation?: ExternalMediaEncapsulation;
  readonly transport?: ExternalMediaTransport;
  readonly connection_type?: ExternalMediaConnectionType;
  /** e.g. `slin`, `slin16`, `ulaw`. */
  readonly format: string;
  readonly direction?: MediaDirection;
  /** For AudioSocket, the UUID sent as the first frame. */
  readonly data?: string;
  /** Websocket transports: appended to the dial string, e.g. `f(json)`. */
  readonly transport_data?: string;
  readonly channelId?: string;
  readonly variables?: ChannelVariables;
}

export interface SendDtmfParams extends AriRequestOptions {
  /** Digits to send (0-9, A-D, *, #; `,` is a pause). */
  readonly dtmf: string;
  readonly before?: number;
  readonly between?: number;
  readonly duration?: number;
  readonly after?: number;
}

export interface ContinueParams extends AriRequestOptions {
  readonly context?: string;
  readonly extension?: string;
  readonly priority?: number;
  readonly label?: string;
}

export interface SnoopParams extends AriRequestOptions {
  readonly app: string;
  readonly spy?: SnoopDirection;
  readonly whisper?: SnoopDirection;
  readonly appArgs?: string | readonly string[];
  readonly snoopId?: string;
}

export interface HangupParams extends AriRequestOptions {
  readonly reason?: HangupReason;
}

function variablesBody(variables: ChannelVariables | undefined): Record<string, unknown> | undefined {
  return variables === undefined ? undefined : { variables };
}

/** Channel operations of one ARI connection. */
export class ChannelsApi {
  readonly #http: AriHttp;

  constructor(http: AriHttp) {
    this.#http = http;
  }

  list(options: AriRequestOptions = {}): Promise<Channel[]> {
    return this.#http.json({ ...opts(options), method: 'GET', path: '/channels' }, ChannelSchema.array());
  }

  get(channelId: string, options: AriRequestOptions = {}): Promise<Channel> {
    return this.#http.json({ ...opts(options), method: 'GET', path: `/channels/${seg(channelId)}` }, ChannelSchema);
  }

  answer(channelId: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({ ...opts(options), method: 'POST', path: `/channels/${seg(channelId)}/answer` });
  }

  /** Indicates ringing to the channel. */
  ring(channelId: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({ ...opts(options), method: 'POST', path: `/channels/${seg(channelId)}/ring` });
  }

  hangup(channelId: string, params: HangupParams = {}): Promise<void> {
    return this.#http.void({
      ...opts(params),
      method: 'DELETE',
      path: `/channels/${seg(channelId)}`,
      query: { reason: params.reason },
    });
  }

  /** Creates an outgoing channel; it enters `app` (StasisStart) once answered. */
  originate(params: OriginateParams): Promise<Channel> {
    return this.#http.json(
      {
        ...opts(params),
        method: 'POST',
        path: '/channels',
        query: {
          endpoint: params.endpoint,
          extension: params.extension,
          context: params.context,
          priority: params.priority,
          label: params.label,
          app: params.app,
          appArgs: params.appArgs,
          callerId: params.callerId,
          timeout: params.timeout,
          channelId: params.channelId,
          otherChannelId: params.otherChannelId,
          originator: params.originator,
          formats: params.formats,
        },
        body: variablesBody(params.variables),
      },
      ChannelSchema,
    );
  }

  /** Creates an external media channel (AudioSocket, RTP or WebSocket) in `app`. */
  externalMedia(params: ExternalMediaParams): Promise<Channel> {
    return this.#http.json(
      {
        ...opts(params),
        method: 'POST',
        path: '/channels/externalMedia',
        query: {
          app: params.app,
          external_host: params.external_host,
          encapsulation: params.encapsulation,
          transport: params.transport,
          connection_type: params.connection_type,
          format: params.format,
          direction: params.direction,
          data: params.data,
          transport_data: params.transport_data,
          channelId: params.channelId,
        },
        body: variablesBody(params.variables),
      },
      ChannelSchema,
    );
  }

  play(channelId: string, params: PlayParams): Promise<Playback> {
    return playOn(this.#http, `/channels/${seg(channelId)}`, params);
  }

  record(channelId: string, params: RecordParams): Promise<LiveRecording> {
    return recordOn(this.#http, `/channels/${seg(channelId)}`, params);
  }

  /** Sends DTMF to the channel (towards the caller); durations in milliseconds. */
  sendDtmf(channelId: string, params: SendDtmfParams): Promise<void> {
    return this.#http.void({
      ...opts(params),
      method: 'POST',
      path: `/channels/${seg(channelId)}/dtmf`,
      query: {
        dtmf: params.dtmf,
        before: params.before,
        between: params.between,
        duration: params.duration,
        after: params.after,
      },
    });
  }

  /** Transfers the channel to another endpoint (it leaves Stasis). */
  redirect(channelId: string, params: { readonly endpoint: string } & AriRequestOptions): Promise<void> {
    return this.#http.void({
      ...opts(params),
      method: 'POST',
      path: `/channels/${seg(channelId)}/redirect`,
      query: { endpoint: params.endpoint },
    });
  }

  /** Leaves Stasis and continues in the dialplan (at the given place, or the next priority). */
  continueInDialplan(channelId: string, params: ContinueParams = {}): Promise<void> {
    return this.#http.void({
      ...opts(params),
      method: 'POST',
      path: `/channels/${seg(channelId)}/continue`,
      query: { context: params.context, extension: params.extension, priority: params.priority, label: params.label },
    });
  }

  async getVariable(channelId: string, variable: string, options: AriRequestOptions = {}): Promise<string> {
    const result = await this.#http.json(
      { ...opts(options), method: 'GET', path: `/channels/${seg(channelId)}/variable`, query: { variable } },
      VariableSchema,
    );
    return result.value;
  }

  setVariable(channelId: string, variable: string, value: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({
      ...opts(options),
      method: 'POST',
      path: `/channels/${seg(channelId)}/variable`,
      query: { variable, value },
    });
  }

  /** Creates a snoop channel (spy and/or whisper) on the channel, placed in `app`. */
  snoop(channelId: string, params: SnoopParams): Promise<Channel> {
    const { snoopId } = params;
    return this.#http.json(
      {
        ...opts(params),
        method: 'POST',
        path: `/channels/${seg(channelId)}/snoop${snoopId === undefined ? '' : `/${seg(snoopId)}`}`,
        query: { app: params.app, spy: params.spy, whisper: params.whisper, appArgs: params.appArgs },
      },
      ChannelSchema,
    );
  }
}
