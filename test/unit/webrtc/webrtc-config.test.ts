import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/config-error.js';

describe('WebRTC settings from the environment', () => {
  it('defaults to no ICE servers and loopback host candidates', () => {
    const c = loadConfig({ env: {} });
    expect(c.webrtc).toEqual({ iceServers: [], hostAddresses: ['127.0.0.1'] });
  });

  it('reads STUN URLs as a list and TURN servers with credentials as JSON', () => {
    expect(
      loadConfig({ env: { WEBRTC_ICE_SERVERS: 'stun:stun.example.org:3478, stun:198.51.100.1' } }).webrtc.iceServers,
    ).toEqual([{ urls: 'stun:stun.example.org:3478' }, { urls: 'stun:198.51.100.1' }]);
    const turn = [{ urls: ['turn:turn.example.org:3478?transport=udp'], username: 'u', credential: 'p' }];
    expect(loadConfig({ env: { WEBRTC_ICE_SERVERS: JSON.stringify(turn) } }).webrtc.iceServers).toEqual(turn);
    expect(loadConfig({ env: { WEBRTC_HOST_ADDRESSES: '192.0.2.10, ::1' } }).webrtc.hostAddresses).toEqual([
      '192.0.2.10',
      '::1',
    ]);
    expect(loadConfig({ env: { WEBRTC_HOST_ADDRESSES: '*' } }).webrtc.hostAddresses).toEqual(['*']);
  });

  it('refuses what is not an ICE server or an IP address, naming the variable', () => {
    for (const env of [
      { WEBRTC_ICE_SERVERS: 'http://stun.example.org' },
      { WEBRTC_ICE_SERVERS: '[{"urls": "stun:x", "password": "p"}]' },
      { WEBRTC_ICE_SERVERS: '[oops' },
      { WEBRTC_HOST_ADDRESSES: 'eth0' },
    ]) {
      const name = Object.keys(env)[0]!;
      expect(() => loadConfig({ env })).toThrow(ConfigError);
      try {
        loadConfig({ env });
      } catch (err) {
        expect((err as ConfigError).issues.map((i) => i.variable)).toContain(name);
      }
    }
  });
});
