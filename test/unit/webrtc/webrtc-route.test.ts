import { describe, expect, it } from 'vitest';
import { defaultWebRtcCodecs } from '../../../src/calls/agents/webrtc-agent-options.js';
import { routeSchema } from '../../../src/config/routes.js';

describe('route kind webrtc', () => {
  it('defaults: no url (waits for an agent), jitter 3 of at most 10 packets, reconnect policy', () => {
    const r = routeSchema.parse({ name: 'desk', agent: { kind: 'webrtc' } });
    expect(r.agent).toEqual({
      kind: 'webrtc',
      jitterTargetPackets: 3,
      jitterMaxPackets: 10,
      mediaTimeoutMs: 15_000,
      reconnect: { maxAttempts: 3, initialMs: 250, maxMs: 2000 },
    });
  });

  it('refuses unknown codecs, repeated codecs, and a jitter bound not above its target', () => {
    const bad = [
      { kind: 'webrtc', codecs: ['G722'] },
      { kind: 'webrtc', codecs: ['PCMU', 'PCMU'] },
      { kind: 'webrtc', jitterTargetPackets: 5, jitterMaxPackets: 5 },
      { kind: 'webrtc', url: 'http://agent' },
    ];
    for (const agent of bad) expect(routeSchema.safeParse({ name: 'x', agent }).success).toBe(false);
  });

  it('prefers PCMU on 8 kHz legs and Opus on 16 kHz legs', () => {
    expect(defaultWebRtcCodecs(8000)[0]).toBe('PCMU');
    expect(defaultWebRtcCodecs(16000)[0]).toBe('opus');
  });
});
