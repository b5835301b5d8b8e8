import { z } from 'zod';
import { reconnectConfigSchema } from './reconnect-config.js';

/**
 * Route configuration of the WebRTC agent (`agent.kind = "webrtc"`): the native protocol's control channel carries
 * the SDP offer/answer and ICE candidates, audio flows as RTP (docs/agent-protocol.md §8). With `url` the adapter
 * dials the agent; without it the call waits for an agent (a browser, a program) to take it at `/v1/agent/webrtc`.
 * STUN/TURN servers and the host addresses for ICE are adapter-wide settings (`WEBRTC_ICE_SERVERS`,
 * `WEBRTC_HOST_ADDRESSES`), so TURN credentials stay out of the routes file.
 */

/** Codec names as SDP spells them; also the values of the route's `codecs` list. */
export const WEBRTC_ROUTE_CODECS = ['opus', 'PCMU', 'PCMA'] as const;

/** Name of an environment variable holding the secret the control-channel connection is signed with. */
const secretEnv = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable holding the secret, e.g. SALES_AGENT_SECRET');

const wsUrl = z.url({ protocol: /^wss?$/, message: 'expected a ws:// or wss:// URL' });

export const webrtcAgentSchema = z
  .object({
    kind: z.literal('webrtc'),
    /** Control channel of the agent; absent: the call waits to be taken at `/v1/agent/webrtc`. */
    url: wsUrl.optional(),
    secretEnv: secretEnv.optional(),
    /**
     * Codecs offered, most preferred first. Default: Opus first on a 16 kHz leg (`opus, PCMU, PCMA`), PCMU first on an
     * 8 kHz leg (`PCMU, PCMA, opus`: G.711 needs no resampling and no codec work beyond a table lookup).
     */
    codecs: z
      .array(z.enum(WEBRTC_ROUTE_CODECS))
      .min(1)
      .refine((c) => new Set(c).size === c.length, { message: 'each codec at most once' })
      .optional(),
    /** Receive jitter buffer: packets (20 ms each) held before playout starts. */
    jitterTargetPackets: z.number().int().min(1).max(10).default(3),
    /** Receive jitter buffer: most packets held. */
    jitterMaxPackets: z.number().int().min(2).max(50).default(10),
    /** The agent counts as gone when neither RTP nor RTCP arrives from it for this long mid-call. */
    mediaTimeoutMs: z.number().int().min(1000).max(120_000).default(15_000),
    /** Connect attempts to `url` (the control channel); a WebRTC agent is not redialled once the call runs. */
    reconnect: reconnectConfigSchema({ maxAttempts: 3, initialMs: 250, maxMs: 2000 }),
  })
  .strict()
  .refine((a) => a.jitterMaxPackets > a.jitterTargetPackets, {
    message: 'jitterMaxPackets must be larger than jitterTargetPackets',
    path: ['jitterMaxPackets'],
  });

export type WebRtcAgentConfig = z.output<typeof webrtcAgentSchema>;
