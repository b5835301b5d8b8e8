import { randomUUID } from 'node:crypto';
import type { UuidRegistry } from '../../transports/audiosocket/uuid-registry.js';
import { ADD_CHANNEL_RETRY, addChannelWhenInStasis, whileLive } from '../ari-setup.js';
import type { CallRegistry } from '../call-registry.js';
import type { CallSession } from '../call-session.js';
import type { MediaPathCall, MediaPathSetup } from '../media-path.js';
import type { MediaPathAri } from '../stasis-ari.js';

export interface AudioSocketMediaPathOptions {
  readonly ari: MediaPathAri;
  readonly app: string;
  readonly registry: Pick<CallRegistry, 'alias'>;
  readonly expectedUuids: Pick<UuidRegistry<CallSession>, 'register'>;
  /** `host:port` Asterisk dials for the AudioSocket (asked per call: the port may be bound late). */
  readonly audioSocketHost: () => string;
  readonly uuidTtlMs: number;
  /**
   * Puts the call's media on a media worker (MEDIA_WORKERS > 0): attaches its remote media, announces the UUID to
   * the worker and returns the worker's `host:port`. Unset, or undefined returned (a route whose calls run in the
   * primary): the media is this process's (`audioSocketHost`).
   */
  readonly placeMedia?: ((session: CallSession, uuid: string) => string | undefined) | undefined;
  /** Longest wait for the media channel's StasisStart before it is bridged. Default 5000 ms. */
  readonly mediaStasisTimeoutMs?: number | undefined;
}

/**
 * The AudioSocket media path: externalMedia `encapsulation=audiosocket transport=tcp` with a registered UUID (the
 * media leg attaches when the AudioSocket connects with it), joined to the bridge once its StasisStart came.
 */
export class AudioSocketMediaPath implements MediaPathSetup {
  readonly media = 'audiosocket' as const;
  readonly #o: AudioSocketMediaPathOptions;

  constructor(options: AudioSocketMediaPathOptions) {
    this.#o = options;
  }

  async setUp({ session, bridgeId, telephony, adopt, stasisStarted }: MediaPathCall): Promise<void> {
    const { ari } = this.#o;
    const uuid = randomUUID();
    const placed = this.#o.placeMedia?.(session, uuid);
    if (placed === undefined) this.#o.expectedUuids.register(uuid, session, this.#o.uuidTtlMs);
    const externalHost = placed ?? this.#o.audioSocketHost();
    this.#o.registry.alias(session, uuid);
    const format = session.info.route.audioFormat === 'slin16' ? 'slin16' : 'slin';
    // The media channel's id is chosen here so that `media.requested` is recorded before Asterisk can connect the
    // AudioSocket (it may do so before the REST reply): lifecycle events stay in order, records get the ids.
    const mediaChannelId = randomUUID();
    session.record('media.requested', { bridge: bridgeId, mediaChannel: mediaChannelId, format, uuid });
    const media = await ari.channels.externalMedia({
      app: this.#o.app,
      channelId: mediaChannelId,
      external_host: externalHost,
      encapsulation: 'audiosocket',
      transport: 'tcp',
      format,
      data: uuid,
    });
    adopt(media.id);
    if (session.closing) return void (await telephony.release());
    // Join only once the channel is in the application: its StasisStart may still be on its way.
    const live = whileLive(session);
    try {
      const timeout = AbortSignal.timeout(this.#o.mediaStasisTimeoutMs ?? 5000);
      await stasisStarted(media.id, AbortSignal.any([live.signal, timeout]));
      if (session.closing) return void (await telephony.release());
      await addChannelWhenInStasis(ari, bridgeId, media.id, { ...ADD_CHANNEL_RETRY, signal: live.signal }, (n) =>
        session.log.info({ channel: media.id, attempt: n }, 'media channel not in Stasis yet; retrying addChannel'),
      );
    } finally {
      live.dispose();
    }
  }
}
