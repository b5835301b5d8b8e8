import type { Route } from '../config/routes.js';
import type { Channel } from '../protocols/ari/index.js';
import type { CloseReason } from './close-reason.js';

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

/**
 * Why a call ends when Asterisk hangs up its media leg: `media_closed`, except on an `openai-sip` route, whose leg
 * is the agent itself (the provider ended the SIP call: a BYE), so the agent hung up.
 */
export function mediaLegGoneReason(route: Pick<Route, 'agent'>): CloseReason {
  return route.agent.kind === 'openai-sip' ? 'agent_hangup' : 'media_closed';
}
