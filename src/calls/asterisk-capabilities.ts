import type { Route } from '../config/routes.js';
import type { ControlFormat } from '../protocols/chan-websocket/index.js';
import type { ProbeAri } from './stasis-ari.js';

/** What the connected Asterisk can do for our media paths, from `/ari/asterisk/info` and `/ari/asterisk/modules`. */
export interface AsteriskCapabilities {
  /** `system.version` as reported, e.g. `22.10.1`. */
  readonly version: string;
  /** Running modules by name (`chan_websocket.so` ...). */
  readonly modules: ReadonlySet<string>;
  /** AudioSocket externalMedia (`chan_audiosocket.so`). */
  readonly audioSocket: boolean;
  /** chan_websocket (`chan_websocket.so`; 20.16, 21.11, 22.6, 23.0 and later). */
  readonly chanWebSocket: boolean;
  /** chan_websocket JSON control messages (20.18, 22.8, 23.2 and later). */
  readonly chanWebSocketJson: boolean;
  /**
   * RTP externalMedia (UnicastRTP: `chan_rtp.so` and `res_rtp_asterisk.so`). externalMedia came in 16.6 and 17.1;
   * 16.6 answered it with another object (`{channel, local_address, local_port}`), the Channel with `channelvars`
   * that the adapter reads came in 16.7 and 17.1.
   */
  readonly rtp: boolean;
}

type Version = readonly [major: number, minor: number];

/** Major and minor of an Asterisk version string (`22.10.1`, `certified-20.7-cert1`); undefined for `GIT-…`. */
export function parseAsteriskVersion(version: string): Version | undefined {
  const m = /(?:^|[^\d.])(\d+)\.(\d+)/.exec(` ${version}`);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Whether `v` is at least the first release of its branch listed in `since` (branches not listed: only newer majors). */
function atLeast(v: Version | undefined, since: Readonly<Record<number, number>>): boolean {
  if (!v) return true; // a development build: trust the module list
  const [major, minor] = v;
  const first = since[major];
  if (first !== undefined) return minor >= first;
  const majors = Object.keys(since).map(Number);
  return major > Math.max(...majors);
}

export function capabilitiesOf(version: string, moduleNames: Iterable<string>): AsteriskCapabilities {
  const modules = new Set(moduleNames);
  const v = parseAsteriskVersion(version);
  const chanWebSocket = modules.has('chan_websocket.so') && atLeast(v, { 20: 16, 21: 11, 22: 6, 23: 0 });
  return {
    version,
    modules,
    audioSocket: modules.has('chan_audiosocket.so'),
    chanWebSocket,
    chanWebSocketJson: chanWebSocket && atLeast(v, { 20: 18, 22: 8, 23: 2 }),
    rtp: modules.has('chan_rtp.so') && modules.has('res_rtp_asterisk.so') && atLeast(v, { 16: 7, 17: 1 }),
  };
}

/** Reads the version and running modules of the connected Asterisk. */
export async function probeAsterisk(ari: ProbeAri, signal?: AbortSignal): Promise<AsteriskCapabilities> {
  const opts = signal ? { signal } : {};
  const [info, modules] = await Promise.all([
    ari.asterisk.info({ only: ['system'], ...opts }),
    ari.asterisk.modules(opts),
  ]);
  return capabilitiesOf(
    info.system?.version ?? '',
    modules.map((m) => m.name),
  );
}

/** Why the connected Asterisk cannot carry a route's media path, or undefined when it can. */
export function mediaPathProblem(
  route: Route,
  caps: AsteriskCapabilities,
  controlFormat: ControlFormat,
): string | undefined {
  const at = `Asterisk ${caps.version || '(unknown version)'}`;
  // A SIP-path route carries no media through us; its PJSIP/TLS/SRTP set-up shows when the dial fails.
  if (route.agent.kind === 'openai-sip') return undefined;
  if (route.media === 'websocket') {
    if (!caps.chanWebSocket)
      return `route "${route.name}" uses media "websocket", but ${at} has no chan_websocket (needs 20.16, 21.11, 22.6 or 23.0 and later with chan_websocket.so loaded)`;
    if (controlFormat === 'json' && !caps.chanWebSocketJson)
      return `route "${route.name}" uses media "websocket" with JSON control messages, which ${at} lacks (needs 20.18, 22.8 or 23.2; or set CHAN_WEBSOCKET_CONTROL_FORMAT=plain-text)`;
    return undefined;
  }
  if (route.media === 'rtp') {
    if (!caps.rtp)
      return `route "${route.name}" uses media "rtp", but ${at} cannot carry it (needs 16.7, 17.1 or later with chan_rtp.so and res_rtp_asterisk.so loaded)`;
    return undefined;
  }
  if (!caps.audioSocket)
    return `route "${route.name}" uses media "audiosocket", but ${at} has no chan_audiosocket.so loaded`;
  return undefined;
}
