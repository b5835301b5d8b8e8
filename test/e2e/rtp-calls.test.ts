import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import type { AriHarness } from '../support/ari-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { onlyStream, receivedPcm, rtpRoutes, startRtpHarness } from '../support/rtp-harness.js';

const FIXTURE_11 = new URL(
  '../fixtures/asterisk-22.10/11-externalmedia-rtp-ulaw/11-externalmedia-rtp-ulaw.ari-events.jsonl',
  import.meta.url,
);
import { waitFor } from '../support/wait.js';

async function expectNothingLeft(h: AriHarness): Promise<void> {
  await waitFor(() => h.app.registry.size === 0, 10_000, 'no live calls');
  await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, 10_000, 'nothing left');
  await waitFor(() => h.app.rtpPorts.inUse === 0, 5000, 'RTP ports released');
}

describe('Stasis calls over RTP (externalMedia UnicastRTP)', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  for (const format of ['ulaw', 'slin', 'slin16', 'alaw'] as const) {
    it(`${format}: the caller hears the echo, frequency and level kept; caller hangup releases the port`, async () => {
      h = await startRtpHarness({}, { routesJson: rtpRoutes({ kind: 'echo' }, format) });
      const rate = format === 'slin16' ? 16000 : 8000;
      const tone = generateTone({ rate, freq: 600, amplitude: 8000, ms: 1500 });
      const caller = await h.sim.placeInboundCall({ audio: { type: 'samples', samples: tone } });
      await waitFor(() => h!.sim.rtpStreams().length === 1, 10_000, 'RTP stream');
      const stream = h.sim.rtpStreams()[0]!;
      await waitFor(() => trimSilence(receivedPcm(stream)).length > 8000, 10_000, 'echo heard');
      await new Promise((r) => setTimeout(r, 600));
      const heard = trimSilence(receivedPcm(stream));
      // slin16 is sent back as 8 kHz L16: Asterisk's UnicastRTP reads no dynamic payload type.
      const heardRate = stream.received[0]!.rate;
      expect(heardRate).toBe(8000);
      const m = toneWindowMatch(heard, heardRate, 600, rmsDbfs(tone), { dbTolerance: 0.6 });
      expect(m.windows).toBeGreaterThanOrEqual(10);
      expect(m.share).toBeGreaterThanOrEqual(0.9);
      expect(stream.dropped).toEqual({ payloadType: 0, source: 0, invalid: 0, rtcp: 0 });
      const session = h.app.registry.list()[0]!;
      await caller.hangup();
      await session.done;
      expect(session.endSummary).toMatchObject({ reason: 'caller_hangup' });
      await expectNothingLeft(h);
    }, 20_000);
  }

  it('40 calls in a burst, StasisStart before and after the externalMedia answer: each UnicastRTP channel is bridged as the media of its call', async () => {
    const delays = [0, 0, 5, 20];
    let n = 0;
    h = await startRtpHarness(
      { ARI_REQUEST_TIMEOUT_MS: '60000' },
      {
        routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw'),
        sim: { mediaStasisDelayMs: () => delays[n++ % delays.length]! },
      },
    );
    const CALLS = 40;
    const callers = await Promise.all(Array.from({ length: CALLS }, () => h!.sim.placeInboundCall({})));
    const bridged = () => h!.sim.bridges().filter((b) => b.channels.length === 2).length;
    await waitFor(() => bridged() === CALLS, 30_000, 'every call bridged');
    // No UnicastRTP channel was taken for a caller of its own.
    expect(h.app.registry.size).toBe(CALLS);
    expect(h.logs.find(/setting up the call in Asterisk failed/)).toEqual([]);
    expect(h.app.rtpPorts.inUse).toBe(CALLS);
    await Promise.all(callers.map((c) => c.hangup()));
    await expectNothingLeft(h);
  }, 60_000);

  it('the UnicastRTP channel goes through the events recorded from Asterisk 22.10.1, from creation to its hangup', async () => {
    h = await startRtpHarness({}, { routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw') });
    const caller = await h.sim.placeInboundCall({});
    await waitFor(() => h!.app.registry.list()[0]?.bridge !== undefined, 10_000, 'bridged');
    const session = h.app.registry.list()[0]!;
    await caller.hangup();
    await session.done;
    await expectNothingLeft(h);
    const media = h.sim.channel(onlyStream(h).channelId)!;
    const label = (e: { type: string; variable?: string; dialstatus?: string }) =>
      e.type === 'ChannelVarset' ? `${e.type}(${e.variable})` : e.type === 'Dial' ? `Dial(${e.dialstatus})` : e.type;
    const recorded = readFileSync(FIXTURE_11, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(
        (l) =>
          (JSON.parse(l) as { event: { type: string; channel?: { name?: string }; peer?: { name?: string } } }).event,
      )
      .filter((e) => [e.channel?.name, e.peer?.name].some((n) => n?.startsWith('UnicastRTP/')))
      .map((e) => label(e));
    expect(media.events.map((e) => label(e as never))).toEqual(recorded);
  });
});
