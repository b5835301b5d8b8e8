/**
 * The resampler's quality targets (DESIGN §3), measured with least-squares tone fits on int16 tones at −6 dBFS:
 * passband ripple ≤ 0.1 dB over 300–3400 Hz, image/alias rejection ≥ 70 dB, THD+N ≤ −80 dB at 1 kHz, group
 * delay ≤ 5 ms, for the six conversions between 8, 16 and 24 kHz and for ratios of the other AudioSocket rates
 * (441/160, 160/441, 2/1 from 12 kHz, 160/147, 1/6 from 96 kHz …; 192 kHz is measured by the bench).
 */
import { describe, expect, it } from 'vitest';
import type { ResamplerRate } from '../../../src/audio/format.js';
import { StreamResampler } from '../../../src/audio/resampler.js';
import { dbfsToAmplitude, fitSine, fitSines, generateTone, ratioDb, thdN } from '../../../src/audio/tone-analysis.js';

const CONVERSIONS: readonly [ResamplerRate, ResamplerRate][] = [
  [8000, 16000],
  [16000, 8000],
  [8000, 24000],
  [24000, 8000],
  [16000, 24000],
  [24000, 16000],
  // The other AudioSocket slin rates (kinds 0x11, 0x14, 0x15, 0x17, 0x18) to and from the agents' rates.
  [44100, 16000],
  [16000, 44100],
  [44100, 8000],
  [8000, 44100],
  [12000, 24000],
  [24000, 12000],
  [32000, 16000],
  [44100, 48000],
  [96000, 16000],
];
const UPSAMPLING = CONVERSIONS.filter(([from, to]) => to > from);
const DOWNSAMPLING = CONVERSIONS.filter(([from, to]) => to < from);

const LEVEL = dbfsToAmplitude(-6);
const TONE_MS = 400;
/** Start/end transients (the filters span under 5 ms) are left out of every fit. */
const EDGE_MS = 40;

function convert(from: ResamplerRate, to: ResamplerRate, x: Int16Array): Int16Array {
  const r = new StreamResampler(from, to);
  const head = r.push(x);
  const tail = r.flush();
  const y = new Int16Array(head.length + tail.length);
  y.set(head);
  y.set(tail, head.length);
  return y;
}

function inner(rate: number, length: number): { start: number; end: number } {
  const edge = Math.round((rate * EDGE_MS) / 1000);
  return { start: edge, end: length - edge };
}

function tone(rate: number, freq: number, ms = TONE_MS): Int16Array {
  return generateTone({ rate, freq, amplitude: LEVEL, ms });
}

function amplitude(x: Int16Array, rate: number, freq: number): number {
  return fitSine(x, rate, freq, inner(rate, x.length)).amplitude;
}

function every100(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let f = lo; f <= hi; f += 100) out.push(f);
  return out;
}

function passHz(from: ResamplerRate, to: ResamplerRate): number {
  return new StreamResampler(from, to).filter?.passHz ?? 0;
}

/** a mod rate, folded into 0…rate/2, as sampling at `rate` does. */
function fold(freq: number, rate: number): number {
  const m = freq % rate;
  return m > rate / 2 ? rate - m : m;
}

/**
 * Upsampling `from`→`to` runs the filter at the common multiple C of the rates on a zero-stuffed input, whose
 * spectrum repeats a tone f at k·from ± f; those below C/2 (other than f) are the images, and the final
 * decimation to `to` folds them to fold(·, to). Only the images below `to` are fitted: at ratios like 441/160 the
 * higher ones fold onto hundreds of frequencies; they lie as deep in the same stopband, and THD+N counts them.
 */
function imagesOf(from: number, to: number, f: number): number[] {
  const common = (from * to) / gcd(from, to);
  const limit = Math.min(common / 2, to);
  const out = new Set<number>();
  for (let k = 1; k * from - f < limit; k++) {
    for (const c of [k * from - f, k * from + f]) {
      if (c > 0 && c < limit) out.add(fold(c, to));
    }
  }
  out.delete(f);
  return [...out];
}

/** Input tones (between the output's and the input's Nyquist) whose alias after downsampling lands at `alias`. */
function aliasSources(from: number, to: number, alias: number): number[] {
  const out: number[] = [];
  for (let k = 1; k * to - alias < from / 2; k++) {
    for (const f of [k * to - alias, k * to + alias]) if (f > to / 2 && f < from / 2) out.push(f);
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

describe.each(CONVERSIONS)('%i Hz → %i Hz', (from, to) => {
  it('passes 300–3400 Hz with ≤ 0.1 dB ripple and ≤ 0.1 dB gain error', () => {
    const gains = every100(300, 3400).map((f) => {
      const x = tone(from, f);
      return ratioDb(amplitude(convert(from, to, x), to, f), amplitude(x, from, f));
    });
    expect(Math.max(...gains) - Math.min(...gains)).toBeLessThanOrEqual(0.1);
    for (const g of gains) expect(Math.abs(g)).toBeLessThanOrEqual(0.1);
  });

  it('is as flat over the whole band its filter guarantees', () => {
    const gains = every100(100, passHz(from, to)).map((f) => {
      const x = tone(from, f);
      return ratioDb(amplitude(convert(from, to, x), to, f), amplitude(x, from, f));
    });
    expect(Math.max(...gains) - Math.min(...gains)).toBeLessThanOrEqual(0.1);
  });

  it('has THD+N ≤ −80 dB for a 1 kHz −6 dBFS tone (and for 997 Hz, which shares no period with the rates)', () => {
    for (const f of [1000, 997]) {
      const y = convert(from, to, tone(from, f));
      expect(thdN(y, to, f, inner(to, y.length))).toBeLessThanOrEqual(-80);
    }
  });

  it('lags at most 5 ms behind its input when streamed in 20 ms frames, with the content itself not shifted', () => {
    const r = new StreamResampler(from, to);
    const x = tone(from, 1000);
    const frame = from / 50;
    const parts: Int16Array[] = [];
    let lagMs = 0;
    let pushed = 0;
    let emitted = 0;
    for (let i = 0; i < x.length; i += frame) {
      const y = r.push(x.subarray(i, i + frame));
      parts.push(y);
      pushed += frame;
      emitted += y.length;
      lagMs = Math.max(lagMs, (1000 * ((pushed * to) / from - emitted)) / to);
    }
    parts.push(r.flush());
    const y = Int16Array.from(parts.flatMap((p) => [...p]));
    expect(lagMs).toBeLessThanOrEqual(5);
    expect(r.groupDelayMs).toBeLessThanOrEqual(5);
    expect(Math.abs(lagMs - r.groupDelayMs)).toBeLessThanOrEqual(1000 / to);
    // Output sample n carries the input's content at time n/to: the fitted phases agree.
    const phaseIn = fitSine(x, from, 1000, inner(from, x.length)).phase;
    const phaseOut = fitSine(y, to, 1000, inner(to, y.length)).phase;
    const dphi = phaseIn - phaseOut - 2 * Math.PI * Math.round((phaseIn - phaseOut) / (2 * Math.PI));
    expect(Math.abs((1000 * dphi) / (2 * Math.PI * 1000))).toBeLessThan(0.001);
  });
});

describe.each(UPSAMPLING)('%i Hz → %i Hz images', (from, to) => {
  it('keeps every image of a 300 Hz…pass-edge tone ≥ 70 dB below it', () => {
    let worst = Number.POSITIVE_INFINITY;
    for (const f of every100(300, passHz(from, to))) {
      const images = imagesOf(from, to, f);
      expect(images.length).toBeGreaterThan(0);
      const y = convert(from, to, tone(from, f));
      const [fund, ...rest] = fitSines(y, to, [f, ...images], inner(to, y.length)).tones;
      for (const im of rest) worst = Math.min(worst, ratioDb(fund?.amplitude ?? 0, im.amplitude));
    }
    expect(worst).toBeGreaterThanOrEqual(70);
  });
});

describe.each(DOWNSAMPLING)('%i Hz → %i Hz aliases', (from, to) => {
  it('keeps every alias that lands at 300 Hz…pass edge ≥ 70 dB below the input tone', () => {
    let worst = Number.POSITIVE_INFINITY;
    let measured = 0;
    for (const alias of every100(300, passHz(from, to))) {
      for (const src of aliasSources(from, to, alias)) {
        const x = tone(from, src);
        worst = Math.min(worst, ratioDb(amplitude(x, from, src), amplitude(convert(from, to, x), to, alias)));
        measured++;
      }
    }
    expect(measured).toBeGreaterThan(0);
    expect(worst).toBeGreaterThanOrEqual(70);
  });

  it('keeps every alias that lands in 300–3400 Hz ≥ 70 dB below the input tone', () => {
    let worst = Number.POSITIVE_INFINITY;
    for (const alias of every100(300, 3400)) {
      for (const src of aliasSources(from, to, alias)) {
        const x = tone(from, src);
        worst = Math.min(worst, ratioDb(amplitude(x, from, src), amplitude(convert(from, to, x), to, alias)));
      }
    }
    // From 24 kHz to 16 kHz nothing can alias below 4 kHz, so there is nothing to measure there.
    expect(worst).toBeGreaterThanOrEqual(70);
  });
});
