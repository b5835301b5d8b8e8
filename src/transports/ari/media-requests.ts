/** Playback and recording requests, which ARI accepts alike on a channel and on a bridge. */
import {
  type LiveRecording,
  LiveRecordingSchema,
  type Playback,
  PlaybackSchema,
  type RecordingIfExists,
} from '../../protocols/ari/index.js';
import { type AriHttp, type AriRequestOptions, opts, seg } from './ari-http.js';

export interface PlayParams extends AriRequestOptions {
  /** One or more media URIs: `sound:hello-world`, `recording:x`, `tone:ring`, `digits:123`. */
  readonly media: string | readonly string[];
  readonly playbackId?: string;
  readonly lang?: string;
  readonly offsetms?: number;
  readonly skipms?: number;
}

export interface RecordParams extends AriRequestOptions {
  readonly name: string;
  /** e.g. `wav`, `gsm`, `sln16`. */
  readonly format: string;
  readonly maxDurationSeconds?: number;
  readonly maxSilenceSeconds?: number;
  readonly ifExists?: RecordingIfExists;
  readonly beep?: boolean;
  /** `none`, `any`, `*`, `#`. */
  readonly terminateOn?: string;
}

/** `target` is the resource path, e.g. `/channels/<id>` or `/bridges/<id>` (ids already escaped). */
export function playOn(http: AriHttp, target: string, params: PlayParams): Promise<Playback> {
  const { playbackId } = params;
  return http.json(
    {
      ...opts(params),
      method: 'POST',
      path: `${target}/play${playbackId === undefined ? '' : `/${seg(playbackId)}`}`,
      query: { media: params.media, lang: params.lang, offsetms: params.offsetms, skipms: params.skipms },
    },
    PlaybackSchema,
  );
}

export function recordOn(http: AriHttp, target: string, params: RecordParams): Promise<LiveRecording> {
  return http.json(
    {
      ...opts(params),
      method: 'POST',
      path: `${target}/record`,
      query: {
        name: params.name,
        format: params.format,
        maxDurationSeconds: params.maxDurationSeconds,
        maxSilenceSeconds: params.maxSilenceSeconds,
        ifExists: params.ifExists,
        beep: params.beep,
        terminateOn: params.terminateOn,
      },
    },
    LiveRecordingSchema,
  );
}
