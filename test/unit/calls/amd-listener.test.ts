import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type AudioFormat, PCM8K } from '../../../src/audio/format.js';
import { generateTone } from '../../../src/audio/tone-analysis.js';
import { listenForAnsweringMachine } from '../../../src/calls/amd/amd-listener.js';
import { fromAsteriskAmd } from '../../../src/calls/amd/amd-result.js';
import type { MediaLeg, SpeechDetector, SpeechDetectorFactory } from '../../../src/calls/media-leg.js';
import { resolveAmdSettings } from '../../../src/config/amd-config.js';

const log = pino({ level: 'silent' });

/** A media leg that only emits caller audio. */
class FakeLeg extends EventEmitter {
  send(samples: Int16Array, format: AudioFormat = PCM8K): void {
    for (let i = 0; i < samples.length; i += 160) {
      const frame = Buffer.from(samples.slice(i, i + 160).buffer);
      this.emit('audio', frame, format);
    }
  }
}

/** A speech detector that scores every 32 ms window with `p(atMs)` synchronously. */
function fakeSpeech(p: (atMs: number) => number): SpeechDetectorFactory {
  return () => {
    const e = new EventEmitter();
    let pushed = 0;
    let windows = 0;
    const d: SpeechDetector = {
      push: (s) => {
        pushed += s.length;
        while ((windows + 1) * 256 <= pushed) {
          windows += 1;
          e.emit('probability', { atMs: windows * 32, probability: p(windows * 32) });
        }
      },
      on: (ev, l) => e.on(ev, l as never),
      close: async () => {},
    };
    return d;
  };
}

const leg = () => new FakeLeg();
const asLeg = (l: FakeLeg) => l as unknown as Pick<MediaLeg, 'on' | 'off'>;

describe('listenForAnsweringMachine', () => {
  it('without a VAD, adapter mode reports notsure / NOAUDIO at once', async () => {
    const r = await listenForAnsweringMachine({
      settings: resolveAmdSettings(undefined, { mode: 'adapter' })!,
      leg: asLeg(leg()),
      speech: undefined,
      callId: 'c',
      log,
      signal: new AbortController().signal,
    });
    expect(r).toMatchObject({ mode: 'adapter', result: 'notsure', cause: 'NOAUDIO' });
  });

  it("Asterisk's human verdict is passed on without listening", async () => {
    const l = leg();
    const r = await listenForAnsweringMachine({
      settings: resolveAmdSettings(undefined, { mode: 'asterisk', machine: 'message' })!,
      leg: asLeg(l),
      speech: undefined,
      asterisk: fromAsteriskAmd('HUMAN', 'HUMAN-900-800'),
      callId: 'c',
      log,
      signal: new AbortController().signal,
    });
    expect(r).toMatchObject({ mode: 'asterisk', result: 'human', detail: 'HUMAN-900-800' });
    expect(l.listenerCount('audio')).toBe(0);
  });

  it('adapter mode: a long greeting is a machine; with a message it waits for the beep to end', async () => {
    const l = leg();
    const done = listenForAnsweringMachine({
      settings: resolveAmdSettings(undefined, { mode: 'adapter', machine: 'message' })!,
      leg: asLeg(l),
      speech: fakeSpeech((t) => (t > 200 && t <= 2600 ? 0.9 : 0.05)),
      callId: 'c',
      log,
      signal: new AbortController().signal,
    });
    l.send(new Int16Array(8000 * 3)); // 3 s (the fake VAD calls it speech from 0.2 to 2.6 s)
    l.send(generateTone({ rate: 8000, freq: 1000, amplitude: 12_000, ms: 500 }));
    l.send(new Int16Array(800));
    const r = await done;
    expect(r).toMatchObject({ result: 'machine', cause: 'LONGGREETING', beep: true, beepEndMs: 3500 });
    expect(r.decisionMs).toBeLessThan(2000);
    expect(l.listenerCount('audio')).toBe(0);
  });

  it('adapter mode: no beep within beepWaitMs starts the message anyway (beep false)', async () => {
    const l = leg();
    const done = listenForAnsweringMachine({
      settings: resolveAmdSettings(undefined, { mode: 'adapter', machine: 'message', beepWaitMs: 3000 })!,
      leg: asLeg(l),
      speech: fakeSpeech(() => 0.9),
      callId: 'c',
      log,
      signal: new AbortController().signal,
    });
    l.send(new Int16Array(8000 * 4));
    expect(await done).toMatchObject({ result: 'machine', beep: false });
  });

  it('the call ending stops the listening with what is known', async () => {
    const l = leg();
    const ac = new AbortController();
    const done = listenForAnsweringMachine({
      settings: resolveAmdSettings(undefined, { mode: 'adapter' })!,
      leg: asLeg(l),
      speech: fakeSpeech(() => 0),
      callId: 'c',
      log,
      signal: ac.signal,
    });
    l.send(new Int16Array(800));
    ac.abort();
    expect(await done).toMatchObject({ result: 'notsure', cause: 'NOAUDIO' });
    expect(l.listenerCount('audio')).toBe(0);
  });
});
