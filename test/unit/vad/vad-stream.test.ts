import { describe, expect, it } from 'vitest';
import type { SileroRate } from '../../../src/calls/vad/silero-model.js';
import type { VadWindowListener } from '../../../src/calls/vad/vad-channel.js';
import { VadError } from '../../../src/calls/vad/vad-error.js';
import type { VadSpeechEnd, VadSpeechStart } from '../../../src/calls/vad/vad-state-machine.js';
import { VadStream, type VadStreamOptions, type VadWindowChannel } from '../../../src/calls/vad/vad-stream.js';

/** Records submitted windows; the test answers through `listener` as the engine would. */
class FakeChannel implements VadWindowChannel {
  readonly windows: Float32Array[] = [];
  closeCalls = 0;
  rate: SileroRate | undefined;
  listener!: VadWindowListener;
  /** `w` per window submitted, `s` per window skipped, in order. */
  readonly order: string[] = [];
  submit(input: Float32Array): void {
    this.windows.push(input);
    this.order.push('w');
  }
  skip(): void {
    this.order.push('s');
  }
  async close(): Promise<void> {
    this.closeCalls += 1;
  }
}

function open(options: VadStreamOptions) {
  const channel = new FakeChannel();
  const stream = new VadStream(options, (rate, listener) => {
    channel.rate = rate;
    channel.listener = listener;
    return channel;
  });
  const events: (['start', VadSpeechStart] | ['end', VadSpeechEnd] | ['failed', VadError])[] = [];
  stream.on('speechStart', (e) => events.push(['start', e]));
  stream.on('speechEnd', (e) => events.push(['end', e]));
  stream.on('failed', (e) => events.push(['failed', e]));
  return { stream, channel, events };
}

function ramp(n: number, from = 0): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => ((from + i) % 2000) - 1000);
}

describe('VadStream', () => {
  it.each([8000, 16000] as const)('opens its channel at %i Hz', (rate) => {
    const { channel, stream } = open({ sampleRate: rate });
    expect(channel.rate).toBe(rate);
    expect(stream.sampleRate).toBe(rate);
  });

  it.each([12000, 24000, 44100, 48000])('refuses %i Hz with VAD_UNSUPPORTED_RATE', (rate) => {
    expect(() => open({ sampleRate: rate })).toThrow(
      expect.objectContaining({ code: 'VAD_UNSUPPORTED_RATE', category: 'invalid_request' }),
    );
  });

  it('refuses invalid hysteresis options', () => {
    expect(() => open({ sampleRate: 8000, threshold: 2 })).toThrow(VadError);
  });

  it.each([
    [8000, 256, 32],
    [16000, 512, 64],
  ] as const)('cuts 20 ms frames at %i Hz into %i-sample windows with %i samples of context', (rate, win, ctx) => {
    const { stream, channel } = open({ sampleRate: rate });
    const frame = rate / 50;
    const total = ramp(frame * 16); // 320 ms → 10 windows
    for (let i = 0; i < 16; i++) stream.push(total.subarray(i * frame, (i + 1) * frame));
    expect(channel.windows).toHaveLength(10);
    expect(stream.stats).toMatchObject({ samplesPushed: frame * 16, windowsSubmitted: 10 });
    channel.windows.forEach((w, k) => {
      expect(w).toHaveLength(ctx + win);
      for (let j = 0; j < ctx + win; j++) {
        const src = k * win - ctx + j;
        const expected = src < 0 ? 0 : (total[src] as number) / 32768;
        expect(w[j]).toBe(expected);
      }
    });
  });

  it('keeps a partial window until it is complete', () => {
    const { stream, channel } = open({ sampleRate: 8000 });
    stream.push(ramp(255));
    expect(channel.windows).toHaveLength(0);
    stream.push(ramp(1, 255));
    expect(channel.windows).toHaveLength(1);
  });

  it('turns probabilities into speech events in stream time and exposes the latest probability', () => {
    const { stream, channel, events } = open({ sampleRate: 8000 });
    const seen: number[] = [];
    stream.on('probability', (p) => seen.push(p.atMs));
    for (const p of [0, 0, 0.9, 0.9, 0.9, 0.9, 0.9]) channel.listener.onProbability(p);
    expect(events).toEqual([['start', { atMs: 34, detectedAtMs: 224 }]]);
    expect(stream.speaking).toBe(true);
    expect(stream.probability).toBe(0.9);
    expect(stream.scoredMs).toBe(224);
    expect(seen).toEqual([32, 64, 96, 128, 160, 192, 224]);
    for (let i = 0; i < 13; i++) channel.listener.onProbability(0.01);
    expect(events[1]).toEqual(['end', { atMs: 254, durationMs: 220, detectedAtMs: 640 }]);
    expect(stream.stats.windowsScored).toBe(20);
  });

  describe('energy gate', () => {
    /** `count` windows at 8 kHz: loud (a ramp at about -15 dBFS), or quiet at `level` (a constant, ±). */
    const windows = (count: number, level: number) =>
      Int16Array.from({ length: 256 * count }, (_, i) => (level > 0 ? level : 0) * (i % 2 === 0 ? 1 : -1));

    it('is off unless asked for: every window goes to the model', () => {
      const { stream, channel } = open({ sampleRate: 8000 });
      stream.push(windows(5, 0));
      expect(channel.order).toEqual(['w', 'w', 'w', 'w', 'w']);
    });

    it('skips quiet windows, sends a loud one and the 8 after it, then skips again', () => {
      const { stream, channel } = open({ sampleRate: 8000, energyGateDbfs: -65 });
      stream.push(windows(3, 0)); // digital silence
      stream.push(windows(1, 3000)); // about -21 dBFS
      stream.push(windows(10, 10)); // about -70 dBFS: under the gate
      expect(channel.order.join('')).toBe(`sss${'w'.repeat(9)}ss`);
      expect(stream.stats).toMatchObject({ windowsSubmitted: 14 });
    });

    it('opens on a window whose loudest 8 ms block alone is over the level', () => {
      const { stream, channel } = open({ sampleRate: 8000, energyGateDbfs: -65 });
      const pcm = windows(2, 0);
      pcm.fill(400, 256 + 192); // the last 8 ms of the second window
      stream.push(pcm);
      expect(channel.order).toEqual(['s', 'w']);
    });

    it('keeps window contents exact across skips: the context of the next window is the skipped one’s tail', () => {
      const { stream, channel } = open({ sampleRate: 8000, energyGateDbfs: -65 });
      const pcm = Int16Array.from({ length: 512 }, (_, i) => (i < 256 ? (i % 5) - 2 : 3000));
      stream.push(pcm);
      expect(channel.order).toEqual(['s', 'w']);
      const w = channel.windows[0]!;
      for (let j = 0; j < 32; j++) expect(w[j]).toBe((((224 + j) % 5) - 2) / 32768);
      expect(w[32]).toBe(3000 / 32768);
    });

    it('scores a skipped window 0, in order', () => {
      const { stream, channel, events } = open({ sampleRate: 8000, energyGateDbfs: -65 });
      const seen: number[] = [];
      stream.on('probability', (p) => seen.push(p.probability));
      for (let i = 0; i < 6; i++) channel.listener.onProbability(0.9);
      channel.listener.onSkipped();
      expect(seen).toEqual([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0]);
      expect(events.map((e) => e[0])).toEqual(['start']);
      expect(stream.stats).toMatchObject({ windowsScored: 6, windowsSkipped: 1 });
    });

    it.each([-100, -20, Number.NaN])('refuses a gate level of %s dBFS with VAD_INVALID_OPTIONS', (level) => {
      expect(() => open({ sampleRate: 8000, energyGateDbfs: level })).toThrow(
        expect.objectContaining({ code: 'VAD_INVALID_OPTIONS' }),
      );
    });
  });

  it('counts a dropped window as a repeat of the previous probability', () => {
    const { stream, channel, events } = open({ sampleRate: 16000 });
    channel.listener.onProbability(0.9);
    for (let i = 0; i < 4; i++) channel.listener.onDropped();
    expect(events).toEqual([['start', { atMs: 0, detectedAtMs: 160 }]]);
    expect(stream.stats).toMatchObject({ windowsScored: 1, windowsDropped: 4 });
  });

  it('reports a channel error once as `failed` and ignores audio afterwards', () => {
    const { stream, channel, events } = open({ sampleRate: 8000 });
    const err = new VadError('VAD_WORKER_FAILED', 'gone');
    channel.listener.onError(err);
    channel.listener.onError(new VadError('VAD_ENGINE_CLOSED', 'closed'));
    expect(events).toEqual([['failed', err]]);
    expect(stream.failure).toBe(err);
    stream.push(ramp(2048));
    expect(channel.windows).toHaveLength(0);
  });

  it('close() is async and idempotent, closes the channel once and ends an open utterance', async () => {
    const { stream, channel, events } = open({ sampleRate: 8000 });
    for (let i = 0; i < 8; i++) channel.listener.onProbability(0.95);
    const first = stream.close();
    expect(stream.close()).toBe(first);
    await first;
    expect(channel.closeCalls).toBe(1);
    expect(stream.closed).toBe(true);
    expect(events.map((e) => e[0])).toEqual(['start', 'end']);
    expect(events[1]).toEqual(['end', { atMs: 256, durationMs: 256, detectedAtMs: 256 }]);
    // Results or audio arriving after close change nothing.
    channel.listener.onProbability(0.1);
    stream.push(ramp(1024));
    expect(channel.windows).toHaveLength(0);
    expect(stream.stats.windowsScored).toBe(8);
  });

  it('close() while silent emits nothing', async () => {
    const { stream, events } = open({ sampleRate: 16000 });
    await stream.close();
    expect(events).toEqual([]);
  });
});
