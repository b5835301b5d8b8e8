import type { MediaKind, MediaPathSetup } from '../media-path.js';
import { AudioSocketMediaPath, type AudioSocketMediaPathOptions } from './audiosocket-media-path.js';
import { RtpMediaPath, type RtpMediaPathOptions } from './rtp-media-path.js';
import { SipDialMediaPath, type SipDialMediaPathOptions } from './sip-dial-media-path.js';
import { WebSocketMediaPath, type WebSocketMediaPathOptions } from './websocket-media-path.js';

/** What the registered media paths need, together (the Stasis controller's options supply it). */
export type MediaPathOptions = AudioSocketMediaPathOptions &
  WebSocketMediaPathOptions &
  RtpMediaPathOptions &
  SipDialMediaPathOptions;

/**
 * The media paths of Stasis calls, one per route `media` kind. A new media path is one file in this folder and one
 * line here (the `Record` makes the compiler ask for it once the route schema names the kind).
 */
const MEDIA_PATHS: { readonly [K in MediaKind]: (o: MediaPathOptions) => MediaPathSetup & { readonly media: K } } = {
  audiosocket: (o) => new AudioSocketMediaPath(o),
  websocket: (o) => new WebSocketMediaPath(o),
  rtp: (o) => new RtpMediaPath(o),
  sip: (o) => new SipDialMediaPath(o),
};

/** Every registered media path, by kind. */
export function createMediaPaths(options: MediaPathOptions): ReadonlyMap<MediaKind, MediaPathSetup> {
  return new Map((Object.keys(MEDIA_PATHS) as MediaKind[]).map((kind) => [kind, MEDIA_PATHS[kind](options)] as const));
}
