/**
 * Resampler benchmark: quality (tone-fit measurements over the telephony band) and CPU cost of StreamResampler for
 * every conversion between 8/16/24/48 kHz, and the conversions between the other AudioSocket slin rates (12, 32,
 * 44.1, 96, 192 kHz) and the agents' rates. `runResamplerBench()` returns the figures; run this file directly
 * (`npx tsx bench/suites/resampler.ts [seconds]`) to print them as a table with how they were measured.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ResamplerRate } from '../../src/audio/format.js';
import { StreamResampler } from '../../src/audio/resampler.js';
import { dbfsToAmplitude, fitSine, fitSines, generateTone, ratioDb } from '../../src/audio/tone-analysis.js';
import { helpIfAsked } from '../lib/script-args.js';

export interface ResamplerBenchOptions {
  /** Seconds of audio converted per conversion for the CPU measurement (after warm-up). Default 30. */
  readonly seconds?: number;
  /** Only the conversions between 8, 16, 24 and 48 kHz (the quick smoke run); default all of BENCH_CONVERSIONS. */
  readonly telephonyOnly?: boolean;
}

export interface ResamplerConversionResult {
  readonly from: ResamplerRate;
  readonly to: ResamplerRate;
  /** Max − min gain over tones every 100 Hz from 300 to 3400 Hz, dB. */
  readonly rippleDb: number;
  /**
   * Worst ratio, dB, of a tone to its images (upsampling: tones 300 Hz…pass edge) or of a tone to its alias
   * (downsampling: tones whose alias falls 300 Hz…pass edge); higher is better.
   */
  readonly imageOrAliasRejectionDb: number;
  /** THD+N of a 1 kHz −6 dBFS tone, dB relative to the fundamental. */
  readonly thdnDb: number;
  /**
   * THD+N of a 997 Hz −6 dBFS tone. 1 kHz repeats every 8/16/24/48 samples, so its rounding error is periodic and
   * can be luckily small; 997 Hz shares no period with the rates and shows the real noise floor.
   */
  readonly thdn997Db: number;
  /** Measured lag of the output stream behind the input when fed 20 ms frames, ms (incl. content offset). */
  readonly groupDelayMs: number;
  /** Upper edge of the band the filter guarantees, Hz. */
  readonly passHz: number;
  /** Median CPU time (user + system) to convert one 20 ms input frame, µs. */
  readonly cpuUsPerFrame: number;
  /** The same per second of audio (50 frames), ms. */
  readonly cpuMsPerCallSecond: number;
}

export interface ResamplerBenchResult {
  readonly node: string;
  readonly cpuModel: string;
  /** 20 ms frames converted per conversion in the timed runs (after warm-up). */
  readonly framesPerConversion: number;
  readonly warmupFrames: number;
  readonly method: string;
  readonly conversions: readonly ResamplerConversionResult[];
}

/** The conversions the product uses first, then the 48 kHz ones, then the other AudioSocket slin rates. */
export const BENCH_CONVERSIONS: readonly (readonly [ResamplerRate, ResamplerRate])[] = [
  [8000, 16000],
  [16000, 8000],
  [8000, 24000],
  [24000, 8000],
  [16000, 24000],
  [24000, 16000],
  [8000, 48000],
  [48000, 8000],
  [16000, 48000],
  [48000, 16000],
  [24000, 48000],
  [48000, 24000],
  [12000, 24000],
  [24000, 12000],
  [12000, 8000],
  [32000, 16000],
  [16000, 32000],
  [44100, 8000],
  [8000, 44100],
  [44100, 16000],
  [16000, 44100],
  [44100, 24000],
  [24000, 44100],
  [44100, 48000],
  [96000, 16000],
  [16000, 96000],
  [192000, 8000],
  [192000, 16000],
  [16000, 192000],
];

const TONE_MS = 400;
const EDGE_MS = 40;
const LEVEL = dbfsToAmplitude(-6);

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function convert(from: ResamplerRate, to: ResamplerRate, input: Int16Array): Int16Array {
  const r = new StreamResampler(from, to);
  const out = concat([r.push(input), r.flush()]);
  r.close();
  return out;
}

function inner(rate: number): { start: number; end: number } {
  const n = Math.round((rate * TONE_MS) / 1000);
  const edge = Math.round((rate * EDGE_MS) / 1000);
  return { start: edge, end: n - edge };
}

/** Folds a frequency into 0…rate/2 as sampling at `rate` does. */
function fold(freq: number, rate: number): number {
  const m = ((freq % rate) + rate) % rate;
  return m > rate / 2 ? rate - m : m;
}

function gainDb(from: ResamplerRate, to: ResamplerRate, freq: number): number {
  const x = generateTone({ rate: from, freq, amplitude: LEVEL, ms: TONE_MS });
  const y = convert(from, to, x);
  return ratioDb(fitSine(y, to, freq, inner(to)).amplitude, fitSine(x, from, freq, inner(from)).amplitude);
}

function tones(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let f = lo; f <= hi + 1e-9; f += 100) out.push(f);
  return out;
}

function measureRipple(from: ResamplerRate, to: ResamplerRate): number {
  const gains = tones(300, 3400).map((f) => gainDb(from, to, f));
  return Math.max(...gains) - Math.min(...gains);
}

/**
 * Output frequencies where images of an input tone at `freq` land (upsampling): the images of the zero-stuffed input
 * below the output rate, folded into the output band. (Images higher up, at ratios like 441/80, fold onto hundreds
 * of frequencies; they sit as far into the same stopband and show in THD+N.)
 */
export function imageFrequencies(from: number, to: number, freq: number): number[] {
  const common = (from * to) / gcd(from, to);
  const limit = Math.min(common / 2, to);
  const found = new Set<number>();
  for (let k = 1; k * from - freq < limit; k++) {
    for (const c of [k * from - freq, k * from + freq]) {
      if (c <= 0 || c >= limit) continue;
      const g = fold(c, to);
      if (Math.abs(g - freq) > 1 && g > 1 && g < to / 2 - 1) found.add(g);
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** Input frequencies above the output's Nyquist whose alias lands at `alias` (downsampling). */
export function aliasSources(from: number, to: number, alias: number): number[] {
  const out: number[] = [];
  for (let k = 1; k * to - alias < from / 2; k++) {
    for (const f of [k * to - alias, k * to + alias]) {
      if (f > to / 2 + 1 && f < from / 2 - 1) out.push(f);
    }
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function measureRejection(from: ResamplerRate, to: ResamplerRate, passHz: number): number {
  let worst = Number.POSITIVE_INFINITY;
  if (to > from) {
    for (const f of tones(300, passHz)) {
      const images = imageFrequencies(from, to, f);
      if (images.length === 0) continue;
      const x = generateTone({ rate: from, freq: f, amplitude: LEVEL, ms: TONE_MS });
      const fit = fitSines(convert(from, to, x), to, [f, ...images], inner(to));
      const [fund, ...rest] = fit.tones;
      for (const im of rest) worst = Math.min(worst, ratioDb(fund?.amplitude ?? 0, im.amplitude));
    }
  } else {
    for (const a of tones(300, passHz)) {
      for (const src of aliasSources(from, to, a)) {
        const x = generateTone({ rate: from, freq: src, amplitude: LEVEL, ms: TONE_MS });
        const inAmp = fitSine(x, from, src, inner(from)).amplitude;
        const outAmp = fitSine(convert(from, to, x), to, a, inner(to)).amplitude;
        worst = Math.min(worst, ratioDb(inAmp, outAmp));
      }
    }
  }
  return worst;
}

function measureThdN(from: ResamplerRate, to: ResamplerRate, freq: number): number {
  const x = generateTone({ rate: from, freq, amplitude: LEVEL, ms: TONE_MS });
  const fit = fitSine(convert(from, to, x), to, freq, inner(to));
  return ratioDb(fit.residualRms, fit.amplitude / Math.SQRT2);
}

/** Lag of the streamed output behind the input, in ms: the held-back samples plus any offset of the content. */
function measureDelay(from: ResamplerRate, to: ResamplerRate): number {
  const freq = 1000;
  const x = generateTone({ rate: from, freq, amplitude: LEVEL, ms: TONE_MS });
  const r = new StreamResampler(from, to);
  const frame = from / 50;
  let pushed = 0;
  let emitted = 0;
  let held = 0;
  const parts: Int16Array[] = [];
  for (let i = 0; i + frame <= x.length; i += frame) {
    const y = r.push(x.subarray(i, i + frame));
    parts.push(y);
    pushed += frame;
    emitted += y.length;
    held = Math.max(held, (pushed * to) / from - emitted);
  }
  parts.push(r.flush());
  r.close();
  const y = concat(parts);
  // Output sample n should hold the input's content at time n/to: compare the fitted phases.
  const phaseIn = fitSine(x, from, freq, inner(from)).phase;
  const phaseOut = fitSine(y, to, freq, inner(to)).phase;
  let dphi = phaseIn - phaseOut;
  dphi -= 2 * Math.PI * Math.round(dphi / (2 * Math.PI));
  const contentMs = (1000 * dphi) / (2 * Math.PI * freq);
  return (1000 * held) / to + contentMs;
}

const WARMUP_FRAMES = 500;
const REPEATS = 5;

function measureCpu(from: ResamplerRate, to: ResamplerRate, frames: number): number {
  // One second of a two-tone signal, cut into 20 ms frames and fed round and round.
  const a = generateTone({ rate: from, freq: 440, amplitude: LEVEL / 2, ms: 1000 });
  const b = generateTone({ rate: from, freq: 1700, amplitude: LEVEL / 2, ms: 1000 });
  const src = a.map((v, i) => v + (b[i] as number));
  const frame = from / 50;
  const r = new StreamResampler(from, to);
  let sink = 0;
  const feed = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const k = i % 50;
      sink += r.push(src.subarray(k * frame, (k + 1) * frame)).length;
    }
  };
  feed(WARMUP_FRAMES);
  const per = Math.max(1, Math.round(frames / REPEATS));
  const runs: number[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    const t0 = process.cpuUsage();
    feed(per);
    const dt = process.cpuUsage(t0);
    runs.push((dt.user + dt.system) / per);
  }
  r.close();
  if (sink < 0) throw new Error('unreachable');
  runs.sort((p, q) => p - q);
  return runs[Math.floor(runs.length / 2)] as number;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const TELEPHONY_RATES: readonly number[] = [8000, 16000, 24000, 48000];

/** Measures every conversion in {@link BENCH_CONVERSIONS} (or its telephony-rate ones, with `telephonyOnly`). */
export async function runResamplerBench(opts: ResamplerBenchOptions = {}): Promise<ResamplerBenchResult> {
  const seconds = opts.seconds ?? 30;
  const frames = Math.max(REPEATS, Math.round(seconds * 50));
  const conversions: ResamplerConversionResult[] = [];
  const wanted = opts.telephonyOnly
    ? BENCH_CONVERSIONS.filter(([from, to]) => TELEPHONY_RATES.includes(from) && TELEPHONY_RATES.includes(to))
    : BENCH_CONVERSIONS;
  for (const [from, to] of wanted) {
    const passHz = new StreamResampler(from, to).filter?.passHz ?? to / 2;
    const cpuUsPerFrame = measureCpu(from, to, frames);
    conversions.push({
      from,
      to,
      rippleDb: measureRipple(from, to),
      imageOrAliasRejectionDb: measureRejection(from, to, passHz),
      thdnDb: measureThdN(from, to, 1000),
      thdn997Db: measureThdN(from, to, 997),
      groupDelayMs: measureDelay(from, to),
      passHz,
      cpuUsPerFrame,
      cpuMsPerCallSecond: (cpuUsPerFrame * 50) / 1000,
    });
    // Let other work on the event loop run between conversions.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return {
    node: process.version,
    cpuModel: cpuModel(),
    framesPerConversion: REPEATS * Math.max(1, Math.round(frames / REPEATS)),
    warmupFrames: WARMUP_FRAMES,
    method:
      'quality: least-squares tone fits on 400 ms tones at -6 dBFS, 40 ms trimmed at each end; ' +
      `CPU: process.cpuUsage (user+system) over ${REPEATS} runs of 20 ms frames after warm-up, median run`,
    conversions,
  };
}

export function formatResamplerBench(result: ResamplerBenchResult): string {
  const out: string[] = [];
  const head = [
    'conversion',
    'ripple dB',
    'rej dB',
    'THD+N 1k',
    'THD+N 997',
    'delay ms',
    'pass Hz',
    'µs/frame',
    'ms/call-s',
  ];
  const rows = result.conversions.map((c) => [
    `${c.from / 1000}k→${c.to / 1000}k`,
    c.rippleDb.toFixed(4),
    c.imageOrAliasRejectionDb.toFixed(1),
    c.thdnDb.toFixed(1),
    c.thdn997Db.toFixed(1),
    c.groupDelayMs.toFixed(2),
    String(c.passHz),
    c.cpuUsPerFrame.toFixed(2),
    c.cpuMsPerCallSecond.toFixed(3),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  out.push(line(head));
  for (const r of rows) out.push(line(r));
  out.push(
    `\nNode ${result.node}, CPU ${result.cpuModel}; ${result.framesPerConversion} timed frames per conversion ` +
      `after ${result.warmupFrames} warm-up frames.\n${result.method}.`,
  );
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  helpIfAsked('usage: npx tsx bench/suites/resampler.ts [seconds]\nResampler and G.711 throughput; prints its table.');
  const seconds = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  console.log(formatResamplerBench(await runResamplerBench(seconds === undefined ? {} : { seconds })));
}
