import { afterEach, describe, expect, it } from 'vitest';
import { generateTone } from '../../src/audio/tone-analysis.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { waitFor } from '../support/wait.js';

describe('ARI events socket dropped and restored under load', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('20 calls: media keeps flowing, callers who hung up during the gap are reconciled, every call ends with a reason', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const CALLS = 20;
    const GONE = 5;
    const tone = generateTone({ rate: 8000, freq: 450, amplitude: 6000, ms: 1000 });
    const reasons = new Map<string, string>();
    h.app.registry.on('added', (s) => s.on('ended', (sum) => reasons.set(s.id, sum.reason)));
    const callers = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        h!.sim.placeInboundCall({ caller: `${2000 + i}`, audio: { type: 'samples', samples: tone, loop: true } }),
      ),
    );
    await waitFor(() => h!.app.registry.size === CALLS && h!.media.length === CALLS, 20_000, 'all calls up');
    await waitFor(() => h!.media.every((m) => m.framesReceived > 25), 20_000, 'media on every call');

    const reconciled = new Promise<{ endedCalls: number; orphanChannels: number }>((resolve) =>
      h!.app.stasis!.once('reconciled', resolve),
    );
    const logBefore = h.sim.eventLog().length;
    expect(h.sim.dropEventSockets()).toBeGreaterThan(0);
    // While the adapter is away (its first reconnect waits ~500 ms), five callers hang up: those events are lost.
    await Promise.all(callers.slice(0, GONE).map((c) => c.hangup()));
    const lost = h.sim
      .eventLog()
      .slice(logBefore)
      .filter((d) => !d.delivered && d.event.type === 'StasisEnd').length;
    expect(lost).toBeGreaterThan(0);
    const result = await reconciled;
    // Calls whose hangup was lost are found by the reconcile pass; the rest came through the new socket.
    expect(result.endedCalls).toBe(lost);
    expect(result.orphanChannels).toBe(0);
    await waitFor(() => h!.app.registry.size === CALLS - GONE, 15_000, 'the hung-up calls ended');

    // The other 15 kept their media through the drop and still do.
    const live = h.media.filter((m) => m.state === 'open');
    expect(live).toHaveLength(CALLS - GONE);
    const before = live.map((m) => m.framesReceived);
    await waitFor(() => live.every((m, i) => m.framesReceived > before[i]! + 25), 15_000, 'media after the drop');

    await Promise.all(callers.slice(GONE).map((c) => c.hangup()));
    await waitFor(() => h!.app.registry.size === 0, 15_000, 'every call ended');
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, 15_000, 'nothing left');
    expect(reasons.size).toBe(CALLS);
    expect(new Set(reasons.values())).toEqual(new Set(['caller_hangup']));
  }, 90_000);
});
