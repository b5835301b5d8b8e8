import type { Route } from '../config/routes.js';
import type { Logger } from '../observability/logger.js';
import type { Channel } from '../protocols/ari/index.js';
import type { PlaybackWaiter } from './ari-telephony.js';
import { type AsteriskCapabilities, mediaPathProblem, probeAsterisk } from './asterisk-capabilities.js';
import type { RouteMatcher } from './route-matcher.js';
import type { StasisAri } from './stasis-ari.js';

/** What becomes of a caller's StasisStart. */
export type Admission =
  | { readonly kind: 'accept'; readonly route: Route }
  /** Not accepting calls (shutting down): the route's fallback, then hang up. */
  | { readonly kind: 'fallback'; readonly route: Route | undefined }
  | { readonly kind: 'hangup'; readonly reason: 'unallocated' | 'congestion' | 'rejected' };

export interface AdmissionInput {
  readonly routes: Pick<RouteMatcher, 'match'>;
  readonly defaultRoute: Route | undefined;
  readonly accepting: () => boolean;
  /** Routes the connected Asterisk cannot carry (name → why). */
  readonly refused: ReadonlyMap<string, string>;
}

/** Picks the route of an inbound caller and decides whether it is served; logs why not. */
export function admitInbound(channel: Channel, args: readonly string[], o: AdmissionInput, log: Logger): Admission {
  const query = {
    stasisArg: args[0],
    extension: channel.dialplan.exten,
    caller: channel.caller.number,
    callee: channel.dialplan.exten,
  };
  const route = o.routes.match(query) ?? o.defaultRoute;
  if (!o.accepting()) {
    log.info({ route: route?.name }, 'not accepting calls (shutting down); new caller gets the fallback');
    return { kind: 'fallback', route };
  }
  if (!route) {
    log.warn(query, 'no route for this call; hanging up');
    return { kind: 'hangup', reason: 'unallocated' };
  }
  const refused = o.refused.get(route.name);
  if (refused) {
    log.error({ route: route.name }, `call refused: ${refused}`);
    return { kind: 'hangup', reason: 'congestion' };
  }
  if (
    route.callerAllowlist &&
    !route.callerAllowlist.some((p) => new RegExp(`^(?:${p})$`).test(channel.caller.number))
  ) {
    log.warn({ caller: channel.caller.number, route: route.name }, 'caller not on the route allowlist; rejecting');
    return { kind: 'hangup', reason: 'rejected' };
  }
  return { kind: 'accept', route };
}

/** A call that cannot be served now: the route's fallback announcement (when it has one), then hang up. */
export async function refuseWithFallback(
  ari: Pick<StasisAri, 'channels'>,
  channel: Channel,
  route: Route | undefined,
  waitPlayback: PlaybackWaiter,
  log: Logger,
): Promise<void> {
  try {
    if (route?.fallback.action === 'play') {
      if (channel.state !== 'Up') await ari.channels.answer(channel.id);
      const playbackId = `${channel.id}-refused`;
      const finished = waitPlayback(playbackId, 30_000);
      await ari.channels.play(channel.id, { media: route.fallback.media, playbackId });
      await finished;
    }
  } catch (err) {
    log.warn({ err, channel: channel.id }, 'fallback announcement failed');
  }
  await ari.channels.hangup(channel.id, { reason: 'congestion' }).catch(() => {});
}

/**
 * Reads the Asterisk version and modules and finds every route whose media path it lacks (calls on it are hung
 * up with `congestion`), logging why. A failed probe refuses nothing (undefined).
 */
export async function probeRouteRefusals(
  ari: Pick<StasisAri, 'asterisk'>,
  routes: readonly Route[],
  controlFormat: Parameters<typeof mediaPathProblem>[2],
  log: Logger,
): Promise<{ capabilities: AsteriskCapabilities; refused: Map<string, string> } | undefined> {
  let caps: AsteriskCapabilities;
  try {
    caps = await probeAsterisk(ari);
  } catch (err) {
    log.warn(
      { error: err instanceof Error ? err.message : String(err) },
      'could not read the Asterisk version and modules; media paths not checked',
    );
    return undefined;
  }
  const refused = new Map<string, string>();
  for (const route of routes) {
    const problem = mediaPathProblem(route, caps, controlFormat);
    if (!problem) continue;
    refused.set(route.name, problem);
    log.error({ route: route.name, asterisk: caps.version }, `route refused: ${problem}`);
  }
  log.info(
    {
      version: caps.version,
      audioSocket: caps.audioSocket,
      chanWebSocket: caps.chanWebSocket,
      rtp: caps.rtp,
      refused: refused.size,
    },
    'Asterisk capabilities',
  );
  return { capabilities: caps, refused };
}
