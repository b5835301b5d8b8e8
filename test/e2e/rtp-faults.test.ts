import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { encodeRtp } from '../../src/protocols/rtp/index.js';
import type { AriHarness } from '../support/ari-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { onlyStream, receivedPcm, rtpEnv, rtpRoutes, startRtpHarness } from '../support/rtp-harness.js';
import { waitFor } from '../support/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tone = generateTone({ rate: 8000, freq: 600, amplitude: 8000, ms: 20_000 });
const toneSource = { type: 'samples', samples: tone } as const;

async function echoCall(h: AriHarness) {
  const caller = await h.sim.placeInboundCall({ audio: toneSource });
  await waitFor(() => h.sim.rtpStreams().length >= 1 && h.app.registry.list()[0]?.bridge !== undefined, 10_000);
  const session = h.app.registry.list()[0]!;
  await waitFor(() => session.bridge!.stats.framesIn >= 10, 5000, 'caller audio flowing');
  return { caller, session, stream: onlyStream(h) };
}

describe('RTP path under faults', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('reorder, a duplicate, a lost packet and a new SSRC mid-call: no audio lost or doubled, loss counted and concealed', async () => {
    h = await startRtpHarness({}, { routesJson: rtpRoutes({ kind: 'echo' }, 'slin') });
    const { caller, session, stream } = await echoCall(h);
    stream.swapNext();
    await sleep(100);
    stream.duplicateNext();
    await sleep(100);
    stream.dropNext(1);
    await sleep(100);
    stream.restartStream();
    await sleep(100);
    stream.sendRtcp();
    await sleep(300);
    stream.stopSendingFor(60_000);
    await sleep(300);
    const heard = trimSilence(receivedPcm(stream));
    const m = toneWindowMatch(heard, 8000, 600, rmsDbfs(tone), { dbTolerance: 0.6 });
    expect(m.share).toBeGreaterThanOrEqual(0.85);
    await caller.hangup();
    await session.done;
    const ended = h.logs.find('RTP stream ended')[0]!;
    expect(ended).toMatchObject({ lost: 1, concealed: 1, duplicates: 1, ssrcChanges: 1, late: 0, rtcp: 1 });
    // Every packet Asterisk sent became exactly one frame for the call: the lost one as concealed silence, the
    // duplicate dropped, the reordered pair put back in order, the new stream joined without a gap.
    expect(ended.framesDelivered).toBe(stream.packetsSent);
    expect(h.app.rtpTotals.snapshot()).toMatchObject({ calls: 1, lost: 1, concealed: 1 });
    await waitFor(() => h!.app.rtpPorts.inUse === 0, 5000, 'port released');
  }, 30_000);

  it('packets from another source are dropped and counted; the call hears only its own channel', async () => {
    h = await startRtpHarness({}, { routesJson: rtpRoutes({ kind: 'echo' }, 'slin') });
    const { caller, session, stream } = await echoCall(h);
    const stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    const noise = Buffer.alloc(320);
    for (let i = 0; i < noise.length; i += 2) noise.writeInt16BE(i % 4 === 0 ? 30000 : -30000, i);
    for (let i = 0; i < 20; i++) {
      const packet = encodeRtp({
        marker: false,
        payloadType: 10,
        sequence: i,
        timestamp: i * 160,
        ssrc: 7,
        payload: noise,
      });
      stranger.send(packet, stream.target.port, '127.0.0.1');
      // Garbage too: never decoded, the source decides first.
      stranger.send(Buffer.from('not rtp at all'), stream.target.port, '127.0.0.1');
      await sleep(10);
    }
    stranger.close();
    await sleep(500);
    const heard = trimSilence(receivedPcm(stream));
    const m = toneWindowMatch(heard, 8000, 600, rmsDbfs(tone), { dbTolerance: 0.6 });
    expect(m.share).toBeGreaterThanOrEqual(0.9);
    expect(h.logs.find(/RTP from an unexpected source dropped/)).toHaveLength(1);
    await caller.hangup();
    await session.done;
    expect(h.logs.find('RTP stream ended')[0]).toMatchObject({ wrongSource: 40, invalid: 0 });
    expect(h.app.rtpTotals.snapshot().wrongSource).toBe(40);
  }, 30_000);

  it('sends from the first tick: an Asterisk that waits for audio before it sends still gets its call going', async () => {
    h = await startRtpHarness(
      {},
      { routesJson: rtpRoutes({ kind: 'echo' }, 'ulaw'), sim: { rtp: { waitForAudio: true } } },
    );
    const { caller, session, stream } = await echoCall(h);
    // Silence went out before any caller audio came: the first packets Asterisk read are silence (μ-law 0xff).
    expect(stream.received[0]!.data.every((b) => b === 0xff)).toBe(true);
    expect(stream.received[0]!.marker).toBe(false);
    await waitFor(() => trimSilence(receivedPcm(stream)).length > 8000, 10_000, 'echo heard');
    // The first packet of agent audio after that silence carries the marker.
    // One talk spurt (the echo), marked once, on its first packet; nothing before it is marked.
    const marked = stream.received.flatMap((p, i) => (p.marker ? [i] : []));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toBeGreaterThan(0);
    const firstVoiced = stream.received.findIndex((p) => p.data.some((b) => b !== 0xff));
    expect(marked[0]).toBeLessThanOrEqual(firstVoiced);
    // One SSRC, sequence +1 and timestamp +160 per packet.
    const tail = stream.received.slice(0, 50);
    for (let i = 1; i < tail.length; i++) {
      expect(tail[i]!.ssrc).toBe(tail[0]!.ssrc);
      expect(tail[i]!.sequence).toBe((tail[i - 1]!.sequence + 1) & 0xffff);
      expect(tail[i]!.timestamp).toBe((tail[i - 1]!.timestamp + 160) >>> 0);
    }
    await caller.hangup();
    await session.done;
  }, 30_000);

  it('running out of RTP ports refuses the call with a recorded reason; the live call goes on; the port is reused', async () => {
    // A range of one port.
    h = await startRtpHarness(rtpEnv(1), { routesJson: rtpRoutes({ kind: 'echo' }, 'slin') });
    expect(h.app.rtpPorts.size).toBe(1);
    const first = await echoCall(h);
    const second = await h.sim.placeInboundCall({ audio: toneSource });
    await second.ended;
    await waitFor(() => h!.logs.find(/call refused: no free RTP port/).length === 1, 5000, 'refusal logged');
    const refused = h.logs.find(/call refused: no free RTP port/)[0]!;
    expect(refused.callId).toBeDefined();
    expect(h.app.rtpPorts.stats.refusals).toBe(1);
    const metrics = await h.app.metrics.registry.metrics();
    expect(metrics).toMatch(/ava_rtp_port_refusals_total 1/);
    // The first call is untouched.
    const before = first.session.bridge!.stats.framesIn;
    await sleep(200);
    expect(first.session.bridge!.stats.framesIn).toBeGreaterThan(before);
    await first.caller.hangup();
    await first.session.done;
    await waitFor(() => h!.app.rtpPorts.inUse === 0, 5000, 'port released');
    // The port serves the next call.
    const third = await h.sim.placeInboundCall({ audio: toneSource });
    await waitFor(() => (h!.app.registry.list()[0]?.bridge?.stats.framesIn ?? 0) >= 10, 10_000, 'third call flowing');
    await third.hangup();
  }, 30_000);

  it('the port is released when the caller hangs up during set-up, before the media channel is bridged', async () => {
    h = await startRtpHarness(
      {},
      { routesJson: rtpRoutes({ kind: 'echo' }, 'slin'), sim: { mediaStasisDelayMs: 1500 } },
    );
    const caller = await h.sim.placeInboundCall({});
    await waitFor(() => h!.app.rtpPorts.inUse === 1, 5000, 'port taken');
    await caller.hangup();
    await waitFor(() => h!.app.rtpPorts.inUse === 0, 5000, 'port released');
    await waitFor(() => h!.app.registry.size === 0 && h!.sim.channels().length === 0, 5000, 'nothing left');
  }, 30_000);

  it('an Asterisk without chan_rtp: the route is refused at start with a clear log line', async () => {
    h = await startRtpHarness(
      {},
      {
        routesJson: rtpRoutes({ kind: 'echo' }, 'slin'),
        sim: { modules: ['res_ari.so', 'res_stasis.so', 'chan_audiosocket.so', 'res_rtp_asterisk.so'] },
      },
    );
    expect(h.app.stasis?.capabilities?.rtp).toBe(false);
    const line = h.logs.find(/route refused: route "rtp" uses media "rtp"/)[0];
    expect(String(line?.msg)).toMatch(/chan_rtp\.so/);
    const caller = await h.sim.placeInboundCall({});
    await caller.ended;
    expect(h.sim.rtpStreams()).toHaveLength(0);
    expect(h.app.rtpPorts.stats.refusals).toBe(0);
  }, 30_000);
});
