import { describe, expect, it } from 'vitest';
import { capabilitiesOf, mediaPathProblem } from '../../../src/calls/asterisk-capabilities.js';
import { unicastRtpPeer } from '../../../src/calls/media-paths/rtp-media-path.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Route } from '../../../src/config/routes.js';
import { ConfigError } from '../../../src/errors/config-error.js';
import { rtpSendPlan } from '../../../src/protocols/rtp/index.js';

function configError(env: Record<string, string>, routes?: unknown): ConfigError {
  try {
    loadConfig({
      env: { ...env, ...(routes ? { ROUTES_FILE: 'r.json' } : {}) },
      ...(routes ? { readFile: () => JSON.stringify(routes) } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError');
}

describe('RTP settings', () => {
  it('have defaults', () => {
    expect(loadConfig({ env: {} }).rtp).toEqual({
      minPort: 20000,
      maxPort: 20999,
      bindHost: '0.0.0.0',
      advertiseHost: '127.0.0.1',
      jitterBufferMs: 60,
      slin16Send: 'slin',
      payloadTypes: {},
    });
  });

  it('parse payload types per format and refuse what is not one', () => {
    expect(loadConfig({ env: { RTP_PAYLOAD_TYPES: 'slin=11, slin16=118' } }).rtp.payloadTypes).toEqual({
      slin: 11,
      slin16: 118,
    });
    expect(configError({ RTP_PAYLOAD_TYPES: 'opus=111' }).message).toMatch(/RTP_PAYLOAD_TYPES: .*opus=111/);
    expect(configError({ RTP_PAYLOAD_TYPES: 'slin=200' }).message).toMatch(/RTP_PAYLOAD_TYPES/);
  });

  it('name a range upside down, a port out of range, a jitter buffer too deep, a host with a port', () => {
    expect(configError({ RTP_PORT_MIN: '30000', RTP_PORT_MAX: '29999' }).message).toMatch(
      /RTP_PORT_MAX: must not be below RTP_PORT_MIN \(30000\)/,
    );
    const err = configError({ RTP_PORT_MIN: '80', RTP_JITTER_BUFFER_MS: '500', RTP_ADVERTISE_HOST: 'a b' });
    expect(err.issues.map((i) => i.variable)).toEqual(
      expect.arrayContaining(['RTP_PORT_MIN', 'RTP_JITTER_BUFFER_MS', 'RTP_ADVERTISE_HOST']),
    );
  });

  it('ulaw and alaw routes need media rtp', () => {
    const routes = { routes: [{ name: 'r', audioFormat: 'ulaw', agent: { kind: 'echo' } }] };
    expect(configError({}, routes).message).toMatch(/audioFormat.*ulaw needs media "rtp"/);
    const ok = loadConfig({
      env: { ROUTES_FILE: 'r.json' },
      readFile: () =>
        JSON.stringify({ routes: [{ name: 'r', media: 'rtp', audioFormat: 'alaw', agent: { kind: 'echo' } }] }),
    });
    expect(ok.routes[0]).toMatchObject({ media: 'rtp', audioFormat: 'alaw' });
  });
});

describe('RTP capability check', () => {
  const route = { name: 'r', media: 'rtp', agent: { kind: 'echo' }, audioFormat: 'ulaw' } as unknown as Route;
  const both = ['chan_rtp.so', 'res_rtp_asterisk.so'];

  it('needs chan_rtp and res_rtp_asterisk on 16.7, 17.1 or later (16.6 answered externalMedia differently)', () => {
    expect(capabilitiesOf('16.7.0', both).rtp).toBe(true);
    expect(capabilitiesOf('16.6.2', both).rtp).toBe(false);
    expect(capabilitiesOf('17.1.0', both).rtp).toBe(true);
    expect(capabilitiesOf('18.20.0', both).rtp).toBe(true);
    expect(capabilitiesOf('22.10.1', both).rtp).toBe(true);
    expect(capabilitiesOf('15.7.0', both).rtp).toBe(false);
    expect(capabilitiesOf('22.10.1', ['chan_rtp.so']).rtp).toBe(false);
  });

  it('says why a route cannot run', () => {
    expect(mediaPathProblem(route, capabilitiesOf('22.10.1', both), 'json')).toBeUndefined();
    expect(mediaPathProblem(route, capabilitiesOf('22.10.1', ['res_rtp_asterisk.so']), 'json')).toMatch(
      /route "r" uses media "rtp", but Asterisk 22\.10\.1 cannot carry it .*chan_rtp\.so/,
    );
  });
});

describe('RTP facts', () => {
  it('UNICASTRTP_LOCAL_* give the peer; an unspecified or missing address means learning it', () => {
    expect(unicastRtpPeer({ UNICASTRTP_LOCAL_ADDRESS: '10.0.0.5', UNICASTRTP_LOCAL_PORT: '12000' })).toEqual({
      address: '10.0.0.5',
      port: 12000,
    });
    expect(unicastRtpPeer({ UNICASTRTP_LOCAL_ADDRESS: '::1', UNICASTRTP_LOCAL_PORT: '12000' })).toEqual({
      address: '::1',
      port: 12000,
    });
    expect(unicastRtpPeer({ UNICASTRTP_LOCAL_ADDRESS: '0.0.0.0', UNICASTRTP_LOCAL_PORT: '12000' })).toBeUndefined();
    expect(unicastRtpPeer({ UNICASTRTP_LOCAL_ADDRESS: '10.0.0.5', UNICASTRTP_LOCAL_PORT: '0' })).toBeUndefined();
    expect(unicastRtpPeer({ UNICASTRTP_LOCAL_ADDRESS: 'asterisk', UNICASTRTP_LOCAL_PORT: '1' })).toBeUndefined();
    expect(unicastRtpPeer(undefined)).toBeUndefined();
  });

  it('sends what Asterisk reads: its own payload type for G.711 and slin, 8 kHz L16 for slin16 unless told', () => {
    expect(rtpSendPlan('ulaw')).toEqual({ format: 'ulaw', payloadType: 0 });
    expect(rtpSendPlan('alaw')).toEqual({ format: 'alaw', payloadType: 8 });
    expect(rtpSendPlan('slin')).toEqual({ format: 'slin', payloadType: 10 });
    expect(rtpSendPlan('slin16')).toEqual({ format: 'slin', payloadType: 10 });
    expect(rtpSendPlan('slin16', { slin16Send: 'slin16' })).toEqual({ format: 'slin16', payloadType: 118 });
    expect(rtpSendPlan('slin16', { payloadTypes: { slin: 11 } })).toEqual({ format: 'slin', payloadType: 11 });
  });
});
