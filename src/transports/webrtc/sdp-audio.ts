import { WEBRTC_CODEC_NAMES, type WebRtcCodecName } from '../../protocols/agent/webrtc-signalling.js';

/** One payload format of the audio m-section, as `a=rtpmap` states it. */
export interface SdpAudioFormat {
  readonly payloadType: number;
  /** Encoding name as written (case kept). */
  readonly encoding: string;
  readonly clockRate: number;
}

/** Payload formats of the first `m=audio` section, in the order the m-line lists them. */
export function sdpAudioFormats(sdp: string): SdpAudioFormat[] {
  const lines = sdp.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith('m=audio '));
  if (start < 0) return [];
  const mline = lines[start]!.trim().split(/\s+/);
  const order = mline.slice(3).map(Number);
  const maps = new Map<number, SdpAudioFormat>();
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('m='); i += 1) {
    const m = /^a=rtpmap:(\d+)\s+([^/\s]+)\/(\d+)/.exec(lines[i]!);
    if (m) maps.set(Number(m[1]), { payloadType: Number(m[1]), encoding: m[2]!, clockRate: Number(m[3]) });
  }
  return order.flatMap((pt) => {
    const known = maps.get(pt);
    if (known) return [known];
    // Static payload types may appear without an rtpmap line (RFC 3551).
    if (pt === 0) return [{ payloadType: 0, encoding: 'PCMU', clockRate: 8000 }];
    if (pt === 8) return [{ payloadType: 8, encoding: 'PCMA', clockRate: 8000 }];
    return [];
  });
}

/** The codec of ours an SDP payload format is, if any (names compare case-insensitively, as SDP requires). */
export function codecNameOf(format: SdpAudioFormat): WebRtcCodecName | undefined {
  const enc = format.encoding.toLowerCase();
  return WEBRTC_CODEC_NAMES.find(
    (n) => n.toLowerCase() === enc && (n === 'opus' ? format.clockRate === 48000 : format.clockRate === 8000),
  );
}

/**
 * The codec an answer settles on: the first format in the answer's m-line that is one of `offered` (JSEP: the first
 * format of the answer is the one to send with). An answer keeping the offer's order thus yields the adapter's
 * preferred codec.
 */
export function negotiatedCodec(
  answerSdp: string,
  offered: readonly WebRtcCodecName[],
): { name: WebRtcCodecName; payloadType: number } | undefined {
  for (const f of sdpAudioFormats(answerSdp)) {
    const name = codecNameOf(f);
    if (name !== undefined && offered.includes(name)) return { name, payloadType: f.payloadType };
  }
  return undefined;
}

/** The connection address of a candidate attribute value (`candidate:… <ip> <port> typ <type> …`). */
export function parseCandidate(candidate: string): { address: string; port: number; type: string } | undefined {
  const parts = candidate.replace(/^a=/, '').trim().split(/\s+/);
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
  if (parts.length < 8 || parts[6] !== 'typ') return undefined;
  return { address: parts[4]!, port: Number(parts[5]), type: parts[7]! };
}

/** Whether a local candidate may be advertised: every non-host candidate, and host candidates on `allowed`. */
export function candidateAllowed(candidate: string, allowed: ReadonlySet<string> | 'any'): boolean {
  if (allowed === 'any') return true;
  const c = parseCandidate(candidate);
  if (c === undefined) return false;
  return c.type !== 'host' || allowed.has(c.address);
}

/** The SDP with every `a=candidate` line that `candidateAllowed` refuses removed. */
export function filterSdpCandidates(sdp: string, allowed: ReadonlySet<string> | 'any'): string {
  if (allowed === 'any') return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('a=candidate:') || candidateAllowed(line.slice(2), allowed))
    .join(eol);
}
