import { describe, it } from 'vitest';
import { runLoad } from '../../../bench/loadgen/run-load.js';

// Each run starts the service in its own process; the two runs share nothing (the Realtime one places no ARI calls).
describe.concurrent('load generator modes of the self-started service', () => {
  it('via ARI: calls go through the simulated Asterisk and are measured end to end', async ({ expect }) => {
    const r = await runLoad({
      via: 'ari',
      calls: 3,
      seconds: 3,
      warmupS: 1.5,
      inline: true,
      pin: false,
      // Bursts every 500 ms: about 6 per call in the window.
      bursts: { periodMs: 500 },
    });
    expect(r.target).toContain('via ARI');
    expect(r.calls.dialed).toBe(3);
    expect(r.calls.failedDials).toBe(0);
    expect(r.downlink.fpsPerCallMin).toBeGreaterThan(45);
    expect(r.downlink.lostPct).toBeLessThan(2);
    expect(r.downlink.duplicateFrames).toBe(0);
    expect(r.latency.roundTrip.count).toBeGreaterThanOrEqual(12);
    expect(r.latency.roundTrip.p50Ms).toBeGreaterThan(0);
    expect(r.latency.roundTrip.p50Ms).toBeLessThan(500);
    // The echo agent knows ARI calls by the caller's channel: the split is found too.
    expect(r.latency.uplink?.count).toBeGreaterThanOrEqual(12);
    expect(r.latency.downlink?.count).toBeGreaterThanOrEqual(12);
  });

  it('agent realtime: the simulated model answers the callers, and its audio reaches them', async ({ expect }) => {
    const r = await runLoad({ agent: 'realtime', calls: 2, seconds: 3, warmupS: 1.5, inline: true, pin: false });
    expect(r.calls.dialed).toBe(2);
    expect(r.calls.failedDials).toBe(0);
    expect(r.downlink.fpsPerCallMin).toBeGreaterThan(45);
    expect(r.realtime?.sessions).toBe(2);
    expect(r.realtime?.responses).toBeGreaterThanOrEqual(2);
    expect(r.realtime?.audioDeltas).toBeGreaterThan(0);
    expect(r.downlink.audibleFrames).toBeGreaterThan(0);
    expect(r.latency.roundTrip.count).toBe(0);
  });
});
