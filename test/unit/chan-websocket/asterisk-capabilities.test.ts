import { describe, expect, it } from 'vitest';
import { capabilitiesOf, mediaPathProblem, parseAsteriskVersion } from '../../../src/calls/asterisk-capabilities.js';
import type { Route } from '../../../src/config/routes.js';

const route = (media: 'audiosocket' | 'websocket' | undefined): Route =>
  ({ name: 'r', media, agent: { kind: 'echo' }, audioFormat: 'slin' }) as unknown as Route;
const ALL = ['chan_audiosocket.so', 'chan_websocket.so'];

describe('Asterisk capability probe', () => {
  it('parses release and certified versions, not development builds', () => {
    expect(parseAsteriskVersion('22.10.1')).toEqual([22, 10]);
    expect(parseAsteriskVersion('certified-20.7-cert1')).toEqual([20, 7]);
    expect(parseAsteriskVersion('GIT-master-abc123')).toBeUndefined();
  });

  it('knows which releases have chan_websocket and its JSON control messages', () => {
    expect(capabilitiesOf('22.10.1', ALL)).toMatchObject({ chanWebSocket: true, chanWebSocketJson: true });
    expect(capabilitiesOf('22.6.0', ALL)).toMatchObject({ chanWebSocket: true, chanWebSocketJson: false });
    expect(capabilitiesOf('22.5.2', ALL)).toMatchObject({ chanWebSocket: false });
    expect(capabilitiesOf('20.18.0', ALL)).toMatchObject({ chanWebSocket: true, chanWebSocketJson: true });
    expect(capabilitiesOf('21.11.0', ALL)).toMatchObject({ chanWebSocket: true, chanWebSocketJson: false });
    expect(capabilitiesOf('18.20.0', ALL)).toMatchObject({ chanWebSocket: false, audioSocket: true });
    expect(capabilitiesOf('24.0.0', ALL)).toMatchObject({ chanWebSocket: true, chanWebSocketJson: true });
    expect(capabilitiesOf('22.10.1', ['chan_audiosocket.so'])).toMatchObject({ chanWebSocket: false });
  });

  it('says clearly why a route cannot run, and nothing when it can', () => {
    const old = capabilitiesOf('22.5.0', ALL);
    expect(mediaPathProblem(route('websocket'), old, 'json')).toMatch(
      /route "r" uses media "websocket".*22\.5\.0.*chan_websocket/,
    );
    expect(mediaPathProblem(route('audiosocket'), old, 'json')).toBeUndefined();
    expect(mediaPathProblem(route(undefined), old, 'json')).toBeUndefined();
    const noJson = capabilitiesOf('22.7.0', ALL);
    expect(mediaPathProblem(route('websocket'), noJson, 'json')).toMatch(/JSON control messages/);
    expect(mediaPathProblem(route('websocket'), noJson, 'plain-text')).toBeUndefined();
    expect(mediaPathProblem(route('audiosocket'), capabilitiesOf('22.10.1', []), 'json')).toMatch(/chan_audiosocket/);
  });
});
