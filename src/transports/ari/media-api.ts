/** `/ari/playbacks` and `/ari/recordings` operations. */
import {
  type LiveRecording,
  LiveRecordingSchema,
  type Playback,
  PlaybackSchema,
  type StoredRecording,
  StoredRecordingSchema,
} from '../../protocols/ari/index.js';
import { type AriHttp, type AriRequestOptions, opts, seg } from './ari-http.js';

/** Playbacks started with `channels.play` or `bridges.play`. */
export class PlaybacksApi {
  readonly #http: AriHttp;

  constructor(http: AriHttp) {
    this.#http = http;
  }

  get(playbackId: string, options: AriRequestOptions = {}): Promise<Playback> {
    return this.#http.json({ ...opts(options), method: 'GET', path: `/playbacks/${seg(playbackId)}` }, PlaybackSchema);
  }

  /** Stops the playback (PlaybackFinished follows). */
  // Not a lifecycle method: ARI's stop of a playback (DELETE /playbacks/{id}).
  stop(playbackId: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({ ...opts(options), method: 'DELETE', path: `/playbacks/${seg(playbackId)}` });
  }
}

/** Live recordings (in progress) and stored recordings (finished). */
export class RecordingsApi {
  readonly #http: AriHttp;

  constructor(http: AriHttp) {
    this.#http = http;
  }

  getLive(name: string, options: AriRequestOptions = {}): Promise<LiveRecording> {
    return this.#http.json(
      { ...opts(options), method: 'GET', path: `/recordings/live/${seg(name)}` },
      LiveRecordingSchema,
    );
  }

  /** Stops and keeps the recording (RecordingFinished follows). */
  stopLive(name: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({ ...opts(options), method: 'POST', path: `/recordings/live/${seg(name)}/stop` });
  }

  listStored(options: AriRequestOptions = {}): Promise<StoredRecording[]> {
    return this.#http.json(
      { ...opts(options), method: 'GET', path: '/recordings/stored' },
      StoredRecordingSchema.array(),
    );
  }

  getStored(name: string, options: AriRequestOptions = {}): Promise<StoredRecording> {
    return this.#http.json(
      { ...opts(options), method: 'GET', path: `/recordings/stored/${seg(name)}` },
      StoredRecordingSchema,
    );
  }

  deleteStored(name: string, options: AriRequestOptions = {}): Promise<void> {
    return this.#http.void({ ...opts(options), method: 'DELETE', path: `/recordings/stored/${seg(name)}` });
  }
}
