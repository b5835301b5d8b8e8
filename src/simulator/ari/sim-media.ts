/**
 * Playbacks and recordings of the simulated Asterisk. A playback of `sound:`/`recording:`/`digits:` media lasts a
 * simulated duration per media item (PlaybackStarted, PlaybackContinuing between items, PlaybackFinished);
 * `tone:` media plays until stopped. A recording runs until stopped, its `maxDurationSeconds`, or its channel ends.
 */
import { randomUUID } from 'node:crypto';
import type { LiveRecording, Playback, StoredRecording } from '../../protocols/ari/index.js';
import { ev } from './event-factory.js';
import { ariError, type SimCore } from './sim-core.js';
import type { SimChannel, SimPlayback, SimRecording } from './sim-model.js';

export interface PlaybackTarget {
  readonly kind: 'channel' | 'bridge';
  readonly id: string;
  readonly app: string | undefined;
}

export class SimMedia {
  readonly #core: SimCore;
  readonly #playbackMs: number;
  readonly #playbacks = new Map<string, SimPlayback>();
  readonly #live = new Map<string, SimRecording>();
  readonly #stored = new Map<string, StoredRecording>();

  constructor(core: SimCore, playbackMs: number) {
    this.#core = core;
    this.#playbackMs = playbackMs;
  }

  play(target: PlaybackTarget, media: readonly string[], playbackId: string | undefined, lang: string | undefined) {
    const id = playbackId ?? randomUUID();
    if (this.#playbacks.has(id)) throw ariError(409, 'Playback with the same id already exists');
    const playback: Playback = {
      id,
      media_uri: media[0] ?? '',
      ...(media.length > 1 ? { next_media_uri: media[1] } : {}),
      target_uri: `${target.kind}:${target.id}`,
      language: lang ?? 'en',
      state: 'queued',
    };
    const entry: SimPlayback = {
      playback,
      media,
      app: target.app,
      targetChannelId: target.kind === 'channel' ? target.id : undefined,
      targetBridgeId: target.kind === 'bridge' ? target.id : undefined,
      timer: undefined,
      index: 0,
    };
    this.#playbacks.set(id, entry);
    const response = { ...playback };
    return {
      response,
      start: () => {
        if (!this.#playbacks.has(id)) return;
        entry.playback.state = 'playing';
        this.#emitPlayback(entry, 'PlaybackStarted');
        this.#scheduleItem(entry);
      },
    };
  }

  #scheduleItem(entry: SimPlayback): void {
    const uri = entry.media[entry.index] ?? '';
    if (uri.startsWith('tone:')) return;
    entry.timer = this.#core.later(this.#playbackMs, () => {
      entry.timer = undefined;
      entry.index++;
      if (entry.index < entry.media.length) {
        entry.playback.media_uri = entry.media[entry.index] ?? '';
        const next = entry.media[entry.index + 1];
        if (next === undefined) delete entry.playback.next_media_uri;
        else entry.playback.next_media_uri = next;
        entry.playback.state = 'continuing';
        this.#emitPlayback(entry, 'PlaybackContinuing');
        entry.playback.state = 'playing';
        this.#scheduleItem(entry);
        return;
      }
      this.#finishPlayback(entry);
    });
  }

  #finishPlayback(entry: SimPlayback): void {
    this.#core.cancel(entry.timer);
    entry.timer = undefined;
    if (!this.#playbacks.delete(entry.playback.id)) return;
    entry.playback.state = 'done';
    delete entry.playback.next_media_uri;
    this.#emitPlayback(entry, 'PlaybackFinished');
  }

  #emitPlayback(entry: SimPlayback, type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished'): void {
    if (entry.app === undefined) return;
    this.#core.hub.send(entry.app, ev.playback(this.#core.stamp(entry.app), type, { ...entry.playback }));
  }

  getPlayback(id: string): Playback {
    const entry = this.#playbacks.get(id);
    if (!entry) throw ariError(404, 'Playback not found');
    return { ...entry.playback };
  }

  stopPlayback(id: string): void {
    const entry = this.#playbacks.get(id);
    if (!entry) throw ariError(404, 'Playback not found');
    this.#finishPlayback(entry);
  }

  record(
    target: PlaybackTarget,
    params: { name: string; format: string; maxDurationSeconds: number | undefined; ifExists: string },
  ) {
    if (this.#live.has(params.name)) throw ariError(409, 'Recording with the same name already exists');
    if (params.ifExists === 'fail' && this.#stored.has(params.name)) {
      throw ariError(409, 'Recording with the same name already exists');
    }
    const recording: LiveRecording = {
      name: params.name,
      format: params.format,
      target_uri: `${target.kind}:${target.id}`,
      state: 'queued',
    };
    const entry: SimRecording = {
      recording,
      app: target.app,
      targetChannelId: target.kind === 'channel' ? target.id : undefined,
      startedAt: Date.now(),
      timer: undefined,
    };
    this.#live.set(params.name, entry);
    const response = { ...recording };
    return {
      response,
      start: () => {
        if (this.#live.get(params.name) !== entry) return;
        entry.recording.state = 'recording';
        this.#emitRecording(entry, 'RecordingStarted');
        const max = params.maxDurationSeconds;
        if (max !== undefined && max > 0)
          entry.timer = this.#core.later(max * 1000, () => this.#finishRecording(entry));
      },
    };
  }

  #finishRecording(entry: SimRecording): void {
    this.#core.cancel(entry.timer);
    if (this.#live.get(entry.recording.name) !== entry) return;
    this.#live.delete(entry.recording.name);
    const seconds = Math.round((Date.now() - entry.startedAt) / 1000);
    entry.recording = { ...entry.recording, state: 'done', duration: seconds };
    this.#stored.set(entry.recording.name, { name: entry.recording.name, format: entry.recording.format });
    this.#emitRecording(entry, 'RecordingFinished');
  }

  #emitRecording(entry: SimRecording, type: 'RecordingStarted' | 'RecordingFinished'): void {
    if (entry.app === undefined) return;
    this.#core.hub.send(entry.app, ev.recording(this.#core.stamp(entry.app), type, { ...entry.recording }));
  }

  getLive(name: string): LiveRecording {
    const entry = this.#live.get(name);
    if (!entry) throw ariError(404, 'Recording not found');
    return { ...entry.recording };
  }

  stopLive(name: string): void {
    const entry = this.#live.get(name);
    if (!entry) throw ariError(404, 'Recording not found');
    this.#finishRecording(entry);
  }

  listStored(): StoredRecording[] {
    return [...this.#stored.values()].map((r) => ({ ...r }));
  }

  getStored(name: string): StoredRecording {
    const r = this.#stored.get(name);
    if (!r) throw ariError(404, 'Recording not found');
    return { ...r };
  }

  deleteStored(name: string): void {
    if (!this.#stored.delete(name)) throw ariError(404, 'Recording not found');
  }

  /** Finishes the playbacks and recordings of a channel that is ending. */
  channelEnding(ch: SimChannel): void {
    for (const entry of [...this.#playbacks.values()]) {
      if (entry.targetChannelId === ch.id) this.#finishPlayback(entry);
    }
    for (const entry of [...this.#live.values()]) {
      if (entry.targetChannelId === ch.id) this.#finishRecording(entry);
    }
  }

  /** Forgets everything without events (restart). */
  reset(): void {
    for (const entry of this.#playbacks.values()) this.#core.cancel(entry.timer);
    for (const entry of this.#live.values()) this.#core.cancel(entry.timer);
    this.#playbacks.clear();
    this.#live.clear();
    this.#stored.clear();
  }
}
