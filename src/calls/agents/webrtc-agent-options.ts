import type { WebRtcAgentConfig } from '../../config/webrtc-route.js';
import type { Logger } from '../../observability/logger.js';
import type { WebRtcCodecName } from '../../protocols/agent/webrtc-signalling.js';
import type { IceServer } from '../../transports/webrtc/webrtc-peer.js';
import type { RecordCallLifecycle } from '../call-lifecycle.js';
import type { CallInfo } from '../voice-agent.js';
import { reconnectPolicyOf } from './agent-reconnect.js';
import type { WebRtcAgentOptions } from './webrtc-agent.js';
import { OnDemandTickSource, type TickSource } from './webrtc-tick-source.js';
import type { AgentWaits } from './waiting-calls.js';

/** Host candidates are offered on loopback only unless configured otherwise. */
export const DEFAULT_WEBRTC_HOST_ADDRESSES: readonly string[] = Object.freeze(['127.0.0.1']);

/** Adapter-wide WebRTC settings, shared by every WebRTC route (from `WEBRTC_*` variables and the composition root). */
export interface WebRtcAgentSettings {
  /** STUN/TURN servers; none by default. */
  readonly iceServers?: readonly IceServer[];
  /** Addresses whose host candidates are offered; `['*']` for every interface. Default `127.0.0.1`. */
  readonly hostAddresses?: readonly string[];
  /** The process media clock; without it the agents share one clock that runs while a WebRTC call does. */
  readonly clock?: TickSource;
  /** Where calls of routes without `url` wait for `/v1/agent/webrtc`; without it those routes fail to start. */
  readonly waitingCalls?: AgentWaits;
  /** Records a lifecycle event on a call (e.g. `registry.get(callId)?.record(type, data)`). */
  readonly record?: RecordCallLifecycle;
}

export interface ResolvedWebRtcAgentSettings {
  readonly iceServers: readonly IceServer[];
  readonly hostAddresses: readonly string[];
  readonly clock: TickSource;
  readonly waitingCalls: AgentWaits | undefined;
  readonly record: RecordCallLifecycle | undefined;
}

/** Fills in the defaults once per agent factory (one on-demand clock for all its WebRTC agents). */
export function resolveWebRtcAgentSettings(s: WebRtcAgentSettings = {}): ResolvedWebRtcAgentSettings {
  return {
    iceServers: s.iceServers ?? [],
    hostAddresses: s.hostAddresses ?? DEFAULT_WEBRTC_HOST_ADDRESSES,
    clock: s.clock ?? new OnDemandTickSource(),
    waitingCalls: s.waitingCalls,
    record: s.record,
  };
}

/**
 * Codec preference when the route names none: on an 8 kHz leg G.711 first (PCMU needs no resampling and next to no
 * CPU), on a 16 kHz leg Opus first (wideband, concealment of lost packets).
 */
export function defaultWebRtcCodecs(legRate: number): WebRtcCodecName[] {
  return legRate === 16000 ? ['opus', 'PCMU', 'PCMA'] : ['PCMU', 'PCMA', 'opus'];
}

/** The options of one call's WebRtcAgent from its route and the adapter-wide settings. */
export function webrtcAgentOptions(
  call: CallInfo,
  agent: WebRtcAgentConfig,
  secret: string | undefined,
  settings: ResolvedWebRtcAgentSettings,
  logger: Logger,
): WebRtcAgentOptions {
  // The rate asked of Asterisk for this route; the leg itself reports its rate only with its first frame.
  const legRate = call.route.audioFormat === 'slin16' ? 16000 : call.legFormat.sampleRate;
  const record = settings.record;
  return {
    url: agent.url,
    secret,
    codecs: agent.codecs ?? defaultWebRtcCodecs(legRate),
    legRate,
    reconnect: reconnectPolicyOf(agent.reconnect),
    iceServers: settings.iceServers,
    hostAddresses: settings.hostAddresses,
    jitter: { targetPackets: agent.jitterTargetPackets, maxPackets: agent.jitterMaxPackets },
    mediaTimeoutMs: agent.mediaTimeoutMs,
    clock: settings.clock,
    waitingCalls: settings.waitingCalls,
    logger: logger.child({ callId: call.callId, agent: 'webrtc' }),
    ...(record ? { record: (type, data) => record(call.callId, type, data) } : {}),
  };
}
