import { afterEach, describe, expect, it } from 'vitest';
import { type ChanWebSocketHarness, startChanWebSocketHarness } from '../support/chan-websocket-harness.js';
import { waitFor } from '../support/wait.js';

const ROUTES = {
  routes: [
    { name: 'ws', match: { extension: '100' }, media: 'websocket', agent: { kind: 'echo' } },
    { name: 'as', match: { extension: '200' }, agent: { kind: 'echo' } },
  ],
};

describe('capability probe at ARI connect', () => {
  let h: ChanWebSocketHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('refuses a websocket route on an Asterisk without chan_websocket, with a clear start-up message', async () => {
    h = await startChanWebSocketHarness({ HTTP_ENABLED: 'true' }, { routesJson: ROUTES }, { version: '22.5.2' });
    expect(h.app.stasis?.capabilities).toMatchObject({ version: '22.5.2', chanWebSocket: false, audioSocket: true });
    expect([...(h.app.stasis?.refusedRoutes.keys() ?? [])]).toEqual(['ws']);
    const refused = h.logs.find(/^route refused: /);
    expect(refused).toHaveLength(1);
    expect(String(refused[0]!.msg)).toMatch(
      /route "ws" uses media "websocket", but Asterisk 22\.5\.2 has no chan_websocket/,
    );
    const ready = await h.app.http!.fastify.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toContainEqual({
      name: 'media_paths',
      ok: false,
      detail: expect.stringMatching(/route "ws" uses media "websocket"/),
    });
    const caller = await h.sim.placeInboundCall({ extension: '100' });
    await waitFor(() => !caller.alive, 5000, 'refused call hung up');
    expect(h.media).toHaveLength(0);
    expect(h.app.registry.size).toBe(0);
  });

  it('accepts both routes on Asterisk 22.10 with chan_websocket loaded', async () => {
    h = await startChanWebSocketHarness({ HTTP_ENABLED: 'true' }, { routesJson: ROUTES });
    expect(h.app.stasis?.capabilities).toMatchObject({ chanWebSocket: true, chanWebSocketJson: true });
    expect(h.app.stasis?.refusedRoutes.size).toBe(0);
    const ready = await h.app.http!.fastify.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json().checks.map((c: { name: string }) => c.name)).not.toContain('media_paths');
    const caller = await h.sim.placeInboundCall({ extension: '100' });
    await waitFor(() => h!.media.length === 1, 5000, 'media connected');
    await caller.hangup();
  });

  it('refuses on a missing module whatever the version', async () => {
    h = await startChanWebSocketHarness({}, { routesJson: ROUTES }, { modules: ['chan_audiosocket.so', 'res_ari.so'] });
    expect([...(h.app.stasis?.refusedRoutes.keys() ?? [])]).toEqual(['ws']);
  });
});
