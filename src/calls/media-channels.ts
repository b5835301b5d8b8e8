import type { Channel } from '../protocols/ari/index.js';

/** Names of the media channels externalMedia creates (AudioSocket, chan_websocket, RTP): never a new call. */
const MEDIA_CHANNEL_PREFIXES = ['AudioSocket/', 'WebSocket/', 'UnicastRTP/'] as const;

/**
 * Channel id prefix of the SIP legs the adapter dials for `openai-sip` routes: such a leg enters Stasis when the
 * provider answers, before the call adopts it, and must not be taken for a new caller.
 */
export const SIP_LEG_ID_PREFIX = 'ava-sip-';

/** Whether a channel entering Stasis is one of our media legs (externalMedia channel or SIP leg), never a call. */
export function isOwnMediaChannel(channel: Pick<Channel, 'id' | 'name'>): boolean {
  return channel.id.startsWith(SIP_LEG_ID_PREFIX) || MEDIA_CHANNEL_PREFIXES.some((p) => channel.name.startsWith(p));
}
