import { afterEach, describe, expect, it } from 'vitest';
import { generateTone } from '../../src/audio/tone-analysis.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { waitFor } from '../support/wait.js';
import { freePort } from '../support/net.js';

const PASSWORD = 'media-client-secret';

describe('chan_websocket with Asterisk connecting to the adapter (websocket_client.conf)', () => {
  let h: ChanWebSocketHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function start(asteriskPassword: string) {
    const port = await freePort();
    return startChanWebSocketHarness(
      {
        CHAN_WEBSOCKET_CONNECTION: 'client',
        CHAN_WEBSOCKET_CLIENT_ID: 'ava',
        CHAN_WEBSOCKET_LISTEN_PORT: String(port),
        CHAN_WEBSOCKET_PASSWORD: PASSWORD,
      },
      { routesJson: websocketRoutes({ kind: 'echo' }) },
      {
        chanWebSocket: {
          clients: { ava: { uri: `ws://127.0.0.1:${port}/media`, username: 'asterisk', password: asteriskPassword } },
        },
      },
    );
  }

  it('authenticated: Asterisk connects, the call is bridged and echoed, hangup leaves nothing', async () => {
    h = await start(PASSWORD);
    const tone = generateTone({ rate: 8000, freq: 600, amplitude: 8000, ms: 600 });
    const caller = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    await waitFor(() => h!.media.length === 1, 5000, 'media connection');
    await waitFor(() => h!.media[0]!.played.some((f) => f.data.some((b) => b !== 0)), 5000, 'echo played');
    expect(h.media[0]!.violations).toEqual([]);
    const session = h.app.registry.list()[0]!;
    await caller.hangup();
    await session.done;
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, 5000, 'nothing left');
  });

  it('two calls share one websocket_client.conf entry: each has its own connection, and shutting Asterisk down hangs up both', async () => {
    h = await start(PASSWORD);
    await h.sim.placeInboundCall({});
    await h.sim.placeInboundCall({});
    await waitFor(() => h!.media.length === 2, 5000, 'two media connections');
    await waitFor(() => h!.app.registry.list().every((s) => s.state === 'active'), 5000, 'both calls active');
    let closed = 0;
    for (const m of h.media) void m.closed.then(() => closed++);
    await h.sim.close();
    await waitFor(() => closed === 2, 5000, 'both media connections closed by the simulated Asterisk');
  });

  it('wrong credentials: the connection is refused (401) and the call fails cleanly', async () => {
    h = await start('not-the-password');
    const caller = await h.sim.placeInboundCall({});
    await waitFor(() => !caller.alive, 5000, 'caller hung up');
    expect(h.media).toHaveLength(0);
    expect(h.logs.find(/bad credentials/).length).toBeGreaterThanOrEqual(1);
    await waitFor(() => h!.app.registry.size === 0 && h!.sim.channels().length === 0, 5000, 'nothing left');
  });
});
