import { z } from 'zod';
import { envSpec } from './env-spec.js';

/** The RTP media path's environment variables (routes with `media: rtp`), part of ENV_VARS. */

/** `format=payloadType` pairs, e.g. `slin=11,slin16=118`. */
const rtpPayloadTypes = z.string().transform((raw, ctx) => {
  const out: Partial<Record<'ulaw' | 'alaw' | 'slin' | 'slin16', number>> = {};
  for (const part of raw.split(',')) {
    if (!part.trim()) continue;
    const m = /^\s*(ulaw|alaw|slin|slin16)\s*=\s*(\d{1,3})\s*$/.exec(part);
    const pt = m ? Number(m[2]) : Number.NaN;
    if (!m || pt > 127) {
      ctx.addIssue({ code: 'custom', message: `"${part.trim()}" is not <ulaw|alaw|slin|slin16>=<payload type 0-127>` });
      return z.NEVER;
    }
    out[m[1] as 'ulaw'] = pt;
  }
  return out;
});

export const RTP_ENV_VARS = {
  RTP_PORT_MIN: envSpec({
    schema: z.coerce.number().int().min(1024).max(65535),
    default: '20000',
    description:
      'Routes with media "rtp": first UDP port of the range the adapter receives RTP on (one port per call). Keep it apart from the rtpstart-rtpend range of an Asterisk on the same host. With MEDIA_WORKERS=N the range is split among the workers by slot (consecutive sub-ranges, the first ones one port longer when it does not divide; see docs/media-workers.md); the primary binds in the whole range only for an RTP call it serves itself (no worker ready, or an agent injected into the process).',
  }),
  RTP_PORT_MAX: envSpec({
    schema: z.coerce.number().int().min(1024).max(65535),
    default: '20999',
    description:
      "Last UDP port of the RTP range. When every port is in use (with MEDIA_WORKERS, every port of the chosen worker's share), a new RTP call is refused (close reason media_unavailable) and counted. With MEDIA_WORKERS=N and an RTP route, the range must hold at least N ports.",
  }),
  RTP_BIND_HOST: envSpec({
    schema: z.union([z.ipv4(), z.ipv6()], { message: 'expected an IP address' }),
    default: '0.0.0.0',
    description: 'Address the RTP sockets bind.',
  }),
  RTP_ADVERTISE_HOST: envSpec({
    schema: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or IP address (no port)'),
    default: '127.0.0.1',
    description:
      'Host (no port) Asterisk sends RTP to: externalMedia external_host is <RTP_ADVERTISE_HOST>:<port of the call>. The address of this adapter as Asterisk reaches it.',
  }),
  RTP_JITTER_BUFFER_MS: envSpec({
    schema: z.coerce.number().int().min(0).max(200),
    default: '60',
    description:
      'Uplink jitter buffer of RTP calls: longest wait for a missing packet before it is counted lost and concealed with silence. In-order packets are not delayed. 0 turns reordering off.',
  }),
  RTP_SLIN16_SEND: envSpec({
    schema: z.enum(['slin', 'slin16']),
    default: 'slin',
    description:
      'Routes with media "rtp" and audioFormat slin16: what is sent to Asterisk. slin: 8 kHz L16 (payload type 10), which every Asterisk reads; slin16: 16 kHz L16 (payload type 118), which Asterisk\'s UnicastRTP channel (16-23) drops because it maps no dynamic payload type on receive.',
  }),
  RTP_PAYLOAD_TYPES: envSpec({
    schema: rtpPayloadTypes,
    description:
      'Payload types sent to Asterisk per format, where they should differ from the ones Asterisk itself uses (ulaw=0, alaw=8, slin=10, slin16=118), e.g. `slin=11`. Packets of these types are also accepted from Asterisk.',
  }),
};
