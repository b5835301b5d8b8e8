import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { waitFor } from '../support/wait.js';

/** Agent audio the simulated chan_websocket channel played to the caller, silence trimmed. */
function playedSamples(h: ChanWebSocketHarness, index = 0): Int16Array {
  return trimSilence(pcmSamples(Buffer.concat(h.media[index]!.played.map((f) => f.data))));
}

async function expectNothingLeft(h: ChanWebSocketHarness): Promise<void> {
  await waitFor(() => h.app.registry.size === 0, 10_000, 'no live calls');
  await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, 10_000, 'nothing left');
}

describe('Stasis calls over chan_websocket', () => {
  let h: ChanWebSocketHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('connects /media/<id> with subprotocol media, bridges after StasisStart, the caller hears the echo', async () => {
    h = await startChanWebSocketHarness(
      {},
      { routesJson: websocketRoutes({ kind: 'echo' }, { audioFormat: 'slin16' }) },
    );
    const tone = generateTone({ rate: 16000, freq: 600, amplitude: 8000, ms: 1200 });
    const caller = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    await waitFor(() => h!.media.length === 1 && playedSamples(h!).length > 16000, 10_000, 'echo played');
    const m = toneWindowMatch(playedSamples(h), 16000, 600, rmsDbfs(tone));
    expect(m.windows).toBeGreaterThanOrEqual(10);
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    const conn = h.media[0]!;
    expect(conn.format).toBe('slin16');
    // Only whole 640-byte frames, each agent-audio frame followed by a mark.
    expect(conn.violations).toEqual([]);
    expect(new Set(conn.binarySizes)).toEqual(new Set([640]));
    expect(conn.commands.some((c) => c.startsWith('{"command":"MARK_MEDIA"'))).toBe(true);
    const [bridge] = h.sim.bridges();
    expect(bridge!.channels).toHaveLength(2);
    // The controller added the media channel only after its StasisStart (no 422 on the way).
    expect(h.logs.find(/422|Channel not in Stasis/)).toHaveLength(0);
    const session = h.app.registry.list()[0]!;
    await caller.hangup();
    await session.done;
    expect(session.endSummary).toMatchObject({ reason: 'caller_hangup' });
    await expectNothingLeft(h);
  });

  it('delivers caller audio that arrived before MEDIA_START', async () => {
    h = await startChanWebSocketHarness(
      {},
      { routesJson: websocketRoutes({ kind: 'echo' }) },
      { chanWebSocket: { earlyAudioFrames: 5 } },
    );
    const tone = generateTone({ rate: 8000, freq: 500, amplitude: 8000, ms: 600 });
    const caller = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
    await waitFor(() => h!.media.length === 1 && h!.media[0]!.callerFramesSent >= 30, 10_000, 'caller audio sent');
    await waitFor(() => h!.app.registry.list()[0]?.bridge !== undefined, 10_000, 'bridge');
    const session = h.app.registry.list()[0]!;
    await waitFor(() => session.bridge!.stats.framesIn >= 30, 5000, 'frames in');
    // Every frame Asterisk sent, the five before MEDIA_START included, reached the bridge.
    expect(session.bridge!.stats.framesIn).toBe(h.media[0]!.callerFramesSent);
    expect(h.media[0]!.events[0]).toContain('MEDIA_START');
    await caller.hangup();
    await session.done;
    await expectNothingLeft(h);
  });

  it('media socket closes with 1000 when the call hangs up; agent hangup releases the channel', async () => {
    h = await startChanWebSocketHarness({}, { routesJson: websocketRoutes({ kind: 'echo' }) });
    const caller = await h.sim.placeInboundCall({});
    await waitFor(() => h!.media.length === 1 && h!.app.registry.list()[0]?.bridge !== undefined, 10_000, 'media');
    const session = h.app.registry.list()[0]!;
    await session.close('agent_hangup');
    await session.done;
    await h.media[0]!.closed;
    await expectNothingLeft(h);
    expect(caller.alive).toBe(false);
  });
});
