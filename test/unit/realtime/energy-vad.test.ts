import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeWav, toMono } from '../../../src/simulator/audio/wav.js';
import { EnergyVad } from '../../../src/simulator/realtime/energy-vad.js';

describe('simulated server VAD', () => {
  it('finds the speech onset and end in a recorded phrase, fed in 20 ms chunks', () => {
    const wav = decodeWav(readFileSync(new URL('../../fixtures/speech/onset-8k.wav', import.meta.url)));
    const samples = toMono(wav);
    const vad = new EnergyVad({ sampleRate: 8000, silenceDurationMs: 500 });
    const events = [];
    for (let i = 0; i < samples.length; i += 160) events.push(...vad.push(samples.subarray(i, i + 160)));
    // Speech 1.000–2.476 s (README): starts at the first voiced window, ends at the last voiced one.
    expect(events.map((e) => e.type)).toEqual(['start', 'stop']);
    expect(Math.abs(events[0]!.atMs - 1000)).toBeLessThanOrEqual(30);
    expect(Math.abs(events[1]!.atMs - 2476)).toBeLessThanOrEqual(60);
    expect(vad.audioMs).toBeCloseTo(3500, 0);
  });

  it('stays quiet on silence', () => {
    const vad = new EnergyVad({ sampleRate: 24000 });
    expect(vad.push(new Int16Array(24000 * 2))).toEqual([]);
  });
});
