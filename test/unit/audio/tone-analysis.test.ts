import { describe, expect, it } from 'vitest';
import {
  amplitudeToDbfs,
  dbfsToAmplitude,
  estimateFrequency,
  fitSine,
  fitSines,
  generateTone,
  goertzelPower,
  rms,
  rmsDbfs,
  thdN,
} from '../../../src/audio/tone-analysis.js';

/** A float signal: sum of `amp · sin(2π f i / rate + phase)` plus `dc`. */
function synth(rate: number, n: number, dc: number, parts: readonly [number, number, number][]): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = dc;
    for (const [f, a, p] of parts) v += a * Math.sin((2 * Math.PI * f * i) / rate + p);
    out[i] = v;
  }
  return out;
}

/** Deterministic uniform noise in [−amp, amp). */
function noise(n: number, amp: number, seed = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * amp;
  }
  return out;
}

describe('generateTone', () => {
  it('has round(rate × ms / 1000) samples, the asked amplitude and starting phase', () => {
    const t = generateTone({ rate: 8000, freq: 1000, amplitude: 10000, ms: 20, phase: Math.PI / 2 });
    expect(t).toBeInstanceOf(Int16Array);
    expect(t.length).toBe(160);
    expect(t[0]).toBe(10000);
    expect(t[4]).toBe(-10000);
    expect(Array.from(t.subarray(0, 8))).toEqual([10000, 7071, 0, -7071, -10000, -7071, 0, 7071]);
    expect(generateTone({ rate: 16000, freq: 440, amplitude: 1, ms: 12.5 }).length).toBe(200);
  });

  it('clamps to int16 instead of wrapping', () => {
    const t = generateTone({ rate: 8000, freq: 1000, amplitude: 40000, ms: 1, phase: Math.PI / 2 });
    expect(t[0]).toBe(32767);
    expect(t[4]).toBe(-32768);
  });
});

describe('fitSine / fitSines', () => {
  it('recovers amplitude, phase and DC exactly from a clean tone with a fractional number of cycles', () => {
    const x = synth(16000, 3001, 12.5, [[1234.5, 5000, 0.7]]);
    const fit = fitSine(x, 16000, 1234.5);
    expect(fit.amplitude).toBeCloseTo(5000, 6);
    expect(fit.phase).toBeCloseTo(0.7, 9);
    expect(fit.dc).toBeCloseTo(12.5, 6);
    expect(fit.residualRms).toBeLessThan(1e-6);
    expect(fit.samples).toBe(3001);
  });

  it('reports phase relative to sample 0 of the buffer even when fitting a sub-range', () => {
    const x = synth(8000, 4000, 0, [[700, 1000, -2]]);
    const fit = fitSine(x, 8000, 700, { start: 1234, end: 3000 });
    expect(fit.phase).toBeCloseTo(-2, 9);
    expect(fit.samples).toBe(1766);
  });

  it('separates two close tones exactly, whatever the window length', () => {
    // 2001 samples: neither tone has a whole number of cycles, so a one-tone fit of either would leak.
    const x = synth(8000, 2001, 3, [
      [1000, 8000, 0.1],
      [1030, 80, 1.2],
    ]);
    const fit = fitSines(x, 8000, [1000, 1030]);
    expect(fit.tones[0]?.amplitude).toBeCloseTo(8000, 6);
    expect(fit.tones[1]?.amplitude).toBeCloseTo(80, 6);
    expect(fit.tones[1]?.phase).toBeCloseTo(1.2, 6);
    expect(fit.dc).toBeCloseTo(3, 6);
    expect(fit.residualRms).toBeLessThan(1e-6);
    expect(fitSine(x, 8000, 1030).amplitude).not.toBeCloseTo(80, 0);
  });

  it('leaves what it was not asked to fit in the residual', () => {
    // One second: every tone has whole cycles, so the 3000 Hz part is orthogonal to the fitted ones.
    const x = synth(8000, 8000, 0, [
      [1000, 8000, 0.1],
      [1030, 80, 1.2],
      [3000, 30, 0],
    ]);
    const fit = fitSines(x, 8000, [1000, 1030]);
    expect(fit.tones[1]?.amplitude).toBeCloseTo(80, 6);
    expect(fit.residualRms).toBeCloseTo(30 / Math.SQRT2, 6);
  });

  it('throws on an empty range', () => {
    expect(() => fitSine(new Int16Array(10), 8000, 1000, { start: 5, end: 5 })).toThrow(RangeError);
  });
});

describe('estimateFrequency', () => {
  it('finds a clean tone to a small fraction of a hertz', () => {
    const x = synth(16000, 8000, 100, [[1234.56, 8000, 0.3]]);
    expect(Math.abs(estimateFrequency(x, 16000) - 1234.56)).toBeLessThan(1e-3);
  });

  it('finds an int16 tone in noise', () => {
    const tone = generateTone({ rate: 8000, freq: 2718.3, amplitude: 12000, ms: 500 });
    const n = noise(tone.length, 300);
    const x = Float64Array.from(tone, (v, i) => v + (n[i] as number));
    expect(Math.abs(estimateFrequency(x, 8000) - 2718.3)).toBeLessThan(0.05);
  });

  it('refuses a buffer with too few cycles', () => {
    expect(() => estimateFrequency(synth(8000, 10, 0, [[100, 1000, 0]]), 8000)).toThrow(RangeError);
  });
});

describe('levels', () => {
  it('converts between dBFS and amplitude (full scale 32768)', () => {
    expect(dbfsToAmplitude(0)).toBe(32768);
    expect(dbfsToAmplitude(-6)).toBeCloseTo(16422.9, 1);
    expect(amplitudeToDbfs(dbfsToAmplitude(-37.5))).toBeCloseTo(-37.5, 12);
  });

  it('measures RMS and RMS dBFS (a full-scale sine is 0 dBFS)', () => {
    expect(rms(Float64Array.of(3, -3, 3, -3))).toBe(3);
    expect(rms(Float64Array.of(1, 2, 9, 9), { start: 2 })).toBe(9);
    const sine = synth(8000, 8000, 0, [[1000, 32768, 0.1]]);
    expect(rmsDbfs(sine)).toBeCloseTo(0, 9);
    expect(rmsDbfs(generateTone({ rate: 8000, freq: 1000, amplitude: dbfsToAmplitude(-20), ms: 100 }))).toBeCloseTo(
      -20,
      2,
    );
    expect(rmsDbfs(new Int16Array(10))).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('thdN', () => {
  it('measures an added harmonic and noise relative to the fundamental', () => {
    const x = synth(48000, 9600, 5, [
      [1000, 10000, 0],
      [3000, 10, 0.5],
    ]);
    expect(thdN(x, 48000, 1000)).toBeCloseTo(-60, 6);
    expect(thdN(x, 48000)).toBeCloseTo(-60, 2);
  });

  it('sees the rounding noise of an int16 tone at about −92 dB for a −6 dBFS tone', () => {
    const t = generateTone({ rate: 16000, freq: 997, amplitude: dbfsToAmplitude(-6), ms: 500 });
    const d = thdN(t, 16000, 997);
    expect(d).toBeGreaterThan(-95);
    expect(d).toBeLessThan(-89);
  });
});

describe('goertzelPower', () => {
  it('gives the mean power of a tone with whole cycles, and nothing at another bin', () => {
    const x = synth(8000, 800, 0, [[1000, 300, 0.4]]);
    expect(goertzelPower(x, 8000, 1000)).toBeCloseTo(300 ** 2 / 2, 6);
    expect(goertzelPower(x, 8000, 2000)).toBeLessThan(1e-12);
  });

  it('measures only the given range', () => {
    const x = new Float64Array(1600);
    x.set(synth(8000, 800, 0, [[500, 100, 0]]), 800);
    expect(goertzelPower(x, 8000, 500, { start: 800 })).toBeCloseTo(5000, 6);
    expect(goertzelPower(x, 8000, 500, { end: 800 })).toBe(0);
  });
});
