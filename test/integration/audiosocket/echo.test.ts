import { afterEach, describe, expect, it } from 'vitest';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import { type Harness, isSilent, nonSilentTone, startHarness, withoutSilentFrames } from './harness.js';
import { waitFor } from '../../support/wait.js';

const CALLS = 50;
const FRAMES = 50; // 1 s of caller audio per call

describe('AudioSocket server + simulated Asterisk: echo through PlayoutBuffer and one MediaClock', () => {
  let harness: Harness | undefined;
  const calls: SimulatedAudioSocketCall[] = [];

  afterEach(async () => {
    await Promise.all(calls.splice(0).map((c) => c.hangup()));
    await harness?.close();
    harness = undefined;
  });

  it('sends 20 ms silence frames from the moment the UUID arrives, before any audio exists', async () => {
    const h = await startHarness();
    harness = h;
    // A caller that sends its UUID and then no audio at all.
    const call = await dialAudioSocket({
      host: h.host,
      port: h.port,
      uuid: h.register('mute'),
      source: { type: 'samples', samples: new Int16Array(0) },
      onSourceEnd: 'stop',
    });
    calls.push(call);
    await waitFor(() => call.received.length >= 10, 20_000, 'ten frames from the server');
    expect(call.framesSent).toBe(0);
    expect(h.connections.get(call.uuid)?.stats.audioFramesIn).toBe(0);
    for (const f of call.received) {
      expect([f.kind, f.length]).toEqual([0x10, 320]);
      expect(isSilent(f.payload)).toBe(true);
    }
  });

  it(`${CALLS} concurrent calls each get back exactly what they sent, after leading silence`, async () => {
    const h = await startHarness();
    harness = h;
    const sources = Array.from({ length: CALLS }, (_, i) => nonSilentTone(i, FRAMES * 160));
    const audioFrames = new Array<number>(CALLS).fill(0);
    calls.push(
      ...(await Promise.all(
        sources.map((samples, i) =>
          dialAudioSocket({
            host: h.host,
            port: h.port,
            uuid: h.register(`call-${i}`),
            source: { type: 'samples', samples },
            onSourceEnd: 'silence',
            // Like Asterisk, caller audio starts a little after the UUID.
            firstAudioDelayMs: 100,
            onFrame: (f) => {
              if (!isSilent(f.payload)) audioFrames[i]! += 1;
            },
          }),
        ),
      )),
    );
    await waitFor(() => audioFrames.every((n) => n >= FRAMES), 60_000, 'every call to receive its echo');

    expect(h.server.counters.connectionsAccepted).toBe(CALLS);
    calls.forEach((call, i) => {
      const sent = Buffer.from(sources[i]!.buffer);
      expect(call.sentAudio().subarray(0, sent.length).equals(sent), `call ${i} sent its source`).toBe(true);
      // Every frame back is a whole 20 ms slin frame.
      for (const f of call.received) expect([f.kind, f.length]).toEqual([0x10, 320]);
      const echoed = withoutSilentFrames(call.receivedAudio(), 320);
      expect(echoed.length, `call ${i} echo length`).toBeGreaterThanOrEqual(sent.length);
      expect(echoed.subarray(0, sent.length).equals(sent), `call ${i} echo content`).toBe(true);
    });

    // Dialer hangs up (socket close, no 0x00): every server connection ends with remote_closed.
    const infos = await Promise.all(calls.splice(0).map((c) => c.hangup()));
    for (const info of infos) expect(info).toEqual({ by: 'local', reason: 'hangup' });
    await waitFor(() => h.closes.size === CALLS, 20_000, 'server connections to close');
    for (const info of h.closes.values()) expect(info.reason).toBe('remote_closed');
    expect(h.server.counters.connectionsActive).toBe(0);
    expect(h.server.counters.protocolErrors).toBe(0);
  });
});
