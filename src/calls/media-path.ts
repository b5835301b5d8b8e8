import type { Route } from '../config/routes.js';
import type { AriCallTelephony } from './ari-telephony.js';
import type { CallSession } from './call-session.js';

/**
 * The Asterisk media path of a Stasis call, as a route names it (`media`; absent means `audiosocket`), or `sip`
 * for `openai-sip` routes (Asterisk dials the provider and bridges it: no media through the adapter).
 */
export type MediaKind = NonNullable<Route['media']> | 'sip';

/** The media kind a route asks for. */
export function mediaKindOf(route: Route): MediaKind {
  if (route.agent.kind === 'openai-sip') return 'sip';
  return route.media ?? 'audiosocket';
}

/** One Stasis call whose caller is answered and in its mixing bridge, ready for its media channel. */
export interface MediaPathCall {
  readonly session: CallSession;
  readonly bridgeId: string;
  readonly telephony: AriCallTelephony;
  /** Records `channelId` as the call's own media channel (events about it reach the call; release hangs it up). */
  adopt(channelId: string): void;
  /** Resolves when the media channel's StasisStart arrives; rejects `MEDIA_NO_STASIS` when `signal` aborts first. */
  stasisStarted(channelId: string, signal: AbortSignal): Promise<void>;
}

/**
 * How a Stasis call gets its media: create the media channel, join it to the call's bridge once it is in the
 * application, and attach the call's media leg (now, or when the media connection arrives). One implementation per
 * media kind, registered in `media-paths/index.ts`.
 */
export interface MediaPathSetup {
  readonly media: MediaKind;
  setUp(call: MediaPathCall): Promise<void>;
}
