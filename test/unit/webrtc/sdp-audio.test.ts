import { describe, expect, it } from 'vitest';
import {
  candidateAllowed,
  filterSdpCandidates,
  negotiatedCodec,
  sdpAudioFormats,
} from '../../../src/transports/webrtc/sdp-audio.js';

const answer = (order: string, maps: string) =>
  ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', `m=audio 9 UDP/TLS/RTP/SAVPF ${order}`, maps, ''].join('\r\n');

describe('SDP audio helpers', () => {
  it('lists the audio formats in m-line order, static types without rtpmap included', () => {
    const sdp = answer('111 0 8', 'a=rtpmap:111 opus/48000/2');
    expect(sdpAudioFormats(sdp).map((f) => f.encoding)).toEqual(['opus', 'PCMU', 'PCMA']);
  });

  it('settles on the first format of the answer that was offered', () => {
    const sdp = answer('0 111', 'a=rtpmap:0 PCMU/8000\r\na=rtpmap:111 OPUS/48000/2');
    expect(negotiatedCodec(sdp, ['opus', 'PCMU'])).toEqual({ name: 'PCMU', payloadType: 0 });
    expect(negotiatedCodec(sdp, ['opus'])).toEqual({ name: 'opus', payloadType: 111 });
    expect(negotiatedCodec(sdp, ['PCMA'])).toBeUndefined();
  });

  it('advertises host candidates only on allowed addresses, other candidate types always', () => {
    const host = 'candidate:1 1 udp 2113937151 192.0.2.2 50000 typ host';
    const lo = 'candidate:2 1 udp 2113937151 127.0.0.1 50001 typ host';
    const srflx = 'candidate:3 1 udp 1677729535 198.51.100.7 61000 typ srflx raddr 0.0.0.0 rport 0';
    const allowed = new Set(['127.0.0.1']);
    expect(candidateAllowed(host, allowed)).toBe(false);
    expect(candidateAllowed(lo, allowed)).toBe(true);
    expect(candidateAllowed(srflx, allowed)).toBe(true);
    expect(candidateAllowed(host, 'any')).toBe(true);
    const sdp = answer('0', `a=${host}\r\na=${lo}\r\na=${srflx}`);
    const filtered = filterSdpCandidates(sdp, allowed);
    expect(filtered).not.toContain('192.0.2.2');
    expect(filtered).toContain('127.0.0.1 50001');
    expect(filtered).toContain('typ srflx');
    expect(filtered.includes('\r\n')).toBe(true);
  });
});
