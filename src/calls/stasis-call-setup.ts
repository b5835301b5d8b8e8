import { AppError } from '../errors/app-error.js';
import type { Channel } from '../protocols/ari/index.js';
import { addChannelWhenInStasis, isGone } from './ari-setup.js';
import type { AriCallTelephony } from './ari-telephony.js';
import type { CallSession } from './call-session.js';
import { type MediaKind, type MediaPathCall, type MediaPathSetup, mediaKindOf } from './media-path.js';
import type { StasisAri } from './stasis-ari.js';

export interface StasisCallSetup extends Pick<MediaPathCall, 'adopt' | 'stasisStarted'> {
  readonly ari: { readonly channels: Pick<StasisAri['channels'], 'answer'>; readonly bridges: StasisAri['bridges'] };
  readonly mediaPaths: ReadonlyMap<MediaKind, MediaPathSetup>;
  readonly session: CallSession;
  /** The caller's channel, in Stasis. */
  readonly channel: Channel;
  readonly telephony: AriCallTelephony;
}

/** A caller in Stasis: (answer,) mixing bridge with the caller in it, then the route's media path sets up the rest. */
export async function setUpStasisCall(s: StasisCallSetup): Promise<void> {
  const { ari, session, channel, telephony } = s;
  const r = telephony.resources;
  if (channel.state !== 'Up') {
    await ari.channels.answer(channel.id);
    session.record('answered', {});
  }
  const bridge = await ari.bridges.create({ type: 'mixing', name: `ava-${session.id}` });
  r.bridgeId = bridge.id;
  if (session.closing) return void (await telephony.release());
  await addChannelWhenInStasis(ari, bridge.id, channel.id);
  const kind = mediaKindOf(session.info.route);
  const path = s.mediaPaths.get(kind);
  if (!path)
    throw new AppError(`no media path for ${kind}`, { code: 'MEDIA_PATH_UNAVAILABLE', category: 'configuration' });
  await path.setUp({
    session,
    bridgeId: bridge.id,
    telephony,
    adopt: (id) => {
      r.mediaChannelId = id;
      s.adopt(id);
    },
    stasisStarted: s.stasisStarted,
  });
}

/**
 * A set-up step failed. A call that is already ending (caller hung up, agent gone) is not a failure; nor is a
 * step refused because the caller's channel is gone and its hangup events are still on their way.
 */
export async function stasisSetUpFailed(
  ari: { readonly channels: Pick<StasisAri['channels'], 'get'> },
  session: CallSession,
  err: unknown,
): Promise<void> {
  if (session.closing) {
    session.log.debug({ err }, 'set-up step ended by the call ending');
    return;
  }
  const callerId = session.info.channelId;
  if (isGone(err) && callerId !== undefined) {
    const callerGone = await ari.channels.get(callerId).then(
      () => false,
      (e: unknown) => isGone(e),
    );
    if (callerGone || session.closing) {
      session.log.info({ channel: callerId }, 'caller left during set-up');
      return void session.close('caller_hangup');
    }
  }
  if (err instanceof AppError && err.code === 'RTP_PORTS_EXHAUSTED') {
    session.log.error({ err }, 'call refused: no free RTP port (raise RTP_PORT_MAX or lower the load)');
    session.record('ari.failed', { message: err.message });
    return void session.close('media_unavailable');
  }
  session.log.error({ err }, 'setting up the call in Asterisk failed');
  session.record('ari.failed', { message: err instanceof Error ? err.message : String(err) });
  void session.close('ari_failure');
}
