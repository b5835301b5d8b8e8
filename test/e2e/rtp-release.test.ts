import { afterEach, describe, expect, it } from 'vitest';
import type { AriHarness } from '../support/ari-harness.js';
import { onlyStream, rtpRoutes, startRtpHarness } from '../support/rtp-harness.js';
import { waitFor } from '../support/wait.js';

/** The RTP port of a call goes back to the pool however the call ends (the other ways are in the other RTP tests). */
describe('RTP port release', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function liveCall(harness: AriHarness) {
    const caller = await harness.sim.placeInboundCall({});
    await waitFor(() => harness.app.registry.list()[0]?.bridge !== undefined, 10_000, 'bridged');
    expect(harness.app.rtpPorts.inUse).toBe(1);
    return { caller, session: harness.app.registry.list()[0]! };
  }

  it('Asterisk hangs up the UnicastRTP channel: the call ends, the caller is hung up, the port is released', async () => {
    h = await startRtpHarness({}, { routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw') });
    const { caller, session } = await liveCall(h);
    await h.sim.channel(onlyStream(h).channelId)!.hangup();
    await session.done;
    await caller.ended;
    await waitFor(() => h!.app.rtpPorts.inUse === 0, 5000, 'port released');
    expect(h.sim.channels()).toEqual([]);
  });

  it('shutdown with a live call: the call is hung up and the port released', async () => {
    h = await startRtpHarness({}, { routesJson: rtpRoutes({ kind: 'echo' }, 'slin16') });
    const { caller, session } = await liveCall(h);
    await h.app.stop(500);
    await session.done;
    expect(session.endSummary?.reason).toBe('shutdown');
    await caller.ended;
    expect(h.app.rtpPorts.inUse).toBe(0);
  });

  it('externalMedia refused by Asterisk: the call fails as ari_failure and the port is released', async () => {
    // The simulated channel cannot bind its socket on an address that is not local: Asterisk answers 500.
    h = await startRtpHarness(
      {},
      { routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw'), sim: { rtp: { localAddress: '192.0.2.1' } } },
    );
    const caller = await h.sim.placeInboundCall({});
    await caller.ended;
    await waitFor(() => h!.app.registry.size === 0, 5000, 'call ended');
    expect(h.logs.find(/setting up the call in Asterisk failed/)).toHaveLength(1);
    expect(h.app.rtpPorts.inUse).toBe(0);
  });
});
