import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BeepDetector } from '../../../src/audio/beep-detector.js';
import { generateTone } from '../../../src/audio/tone-analysis.js';
import { AmdClassifier } from '../../../src/calls/amd/amd-classifier.js';
import { withAmdResult } from '../../../src/calls/amd/amd-call-info.js';
import { replay } from '../../../src/calls/amd/amd-replay.js';
import { fromAsteriskAmd } from '../../../src/calls/amd/amd-result.js';
import { AMD_DEFAULTS, resolveAmdSettings } from '../../../src/config/amd-config.js';
import { originateCommandSchema } from '../../../src/jobs/control-commands.js';
import { decodeWav, toMono } from '../../../src/simulator/audio/wav.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/amd/', import.meta.url));
const wav = (name: string) => toMono(decodeWav(readFileSync(`${FIXTURES}${name}`)));

/** VAD windows (32 ms) from a pattern: each entry is [probability, ms]. */
function windows(pattern: [number, number][]): { atMs: number; probability: number }[] {
  const out: { atMs: number; probability: number }[] = [];
  let t = 0;
  for (const [p, ms] of pattern) {
    for (let i = 0; i < Math.round(ms / 32); i++) {
      t += 32;
      out.push({ atMs: t, probability: p });
    }
  }
  return out;
}

const settings = resolveAmdSettings(undefined, { mode: 'adapter' })!;

function classify(pattern: [number, number][]) {
  const c = new AmdClassifier(settings);
  for (const w of windows(pattern)) if (c.window(w.atMs, 32, w.probability)) break;
  return c.decision;
}

describe('AmdClassifier', () => {
  it('a short answer then silence is a human, decided after the after-greeting silence', () => {
    const d = classify([
      [0, 320],
      [0.9, 480],
      [0.05, 2000],
    ]);
    expect(d).toMatchObject({ result: 'human', cause: 'HUMAN' });
    expect(d!.decisionMs).toBeGreaterThanOrEqual(800 + 800);
    expect(d!.decisionMs).toBeLessThan(800 + 800 + 100);
  });

  it('a long greeting is a machine (LONGGREETING), many short words are MAXWORDS', () => {
    expect(
      classify([
        [0, 320],
        [0.9, 2500],
      ]),
    ).toMatchObject({ result: 'machine', cause: 'LONGGREETING' });
    const words: [number, number][] = [];
    for (let i = 0; i < 6; i++) words.push([0.9, 160], [0.1, 320]);
    expect(classify(words)).toMatchObject({ result: 'machine', cause: 'MAXWORDS' });
  });

  it('silence is notsure (INITIALSILENCE); a pause inside a word does not end it', () => {
    expect(classify([[0, 4000]])).toMatchObject({ result: 'notsure', cause: 'INITIALSILENCE' });
    // 96 ms dips (under BETWEEN_WORDS_MS) inside speech: one word, whose voiced time grows into a long greeting.
    const d = classify([
      [0.9, 480],
      [0.1, 96],
      [0.9, 480],
      [0.1, 96],
      [0.9, 640],
    ]);
    expect(d).toMatchObject({ result: 'machine', cause: 'LONGGREETING' });
  });

  it('a beep decides machine at once', () => {
    const c = new AmdClassifier(settings);
    c.window(32, 32, 0.9);
    expect(c.beep(900)).toMatchObject({ result: 'machine', cause: 'BEEP', decisionMs: 900 });
  });
});

describe('BeepDetector', () => {
  it('finds the beep at the end of a recorded voicemail greeting, and none in a live answer', () => {
    const beeps = new BeepDetector({ sampleRate: 8000 }).push(wav('machine-01.wav'));
    expect(beeps).toHaveLength(1);
    expect(beeps[0]!.freqHz).toBeGreaterThan(980);
    expect(beeps[0]!.freqHz).toBeLessThan(1020);
    // labels: 0.3 s lead + greeting + 0.4 s gap + 0.5 s beep; the file ends 0.3 s after it.
    const total = (wav('machine-01.wav').length / 8000) * 1000;
    expect(beeps[0]!.endMs).toBeGreaterThan(total - 400);
    expect(beeps[0]!.endMs - beeps[0]!.startMs).toBeGreaterThanOrEqual(400);
    for (const name of ['human-01.wav', 'human-08.wav', 'human-12.wav'])
      expect(new BeepDetector({ sampleRate: 8000 }).push(wav(name))).toEqual([]);
  });

  it('a tone that is too short or too long is no beep; chunking does not matter', () => {
    const short = generateTone({ rate: 8000, freq: 1000, amplitude: 10_000, ms: 60 });
    const long = generateTone({ rate: 8000, freq: 1000, amplitude: 10_000, ms: 4000 });
    const silence = new Int16Array(800);
    const det = new BeepDetector({ sampleRate: 8000 });
    expect([...det.push(short), ...det.push(silence), ...det.push(long), ...det.push(silence)]).toEqual([]);
    const beep = generateTone({ rate: 8000, freq: 850, amplitude: 10_000, ms: 500 });
    const all = new Int16Array([...silence, ...beep, ...silence]);
    const whole = new BeepDetector({ sampleRate: 8000 }).push(all);
    const chunked = new BeepDetector({ sampleRate: 8000 });
    const found = [];
    for (let i = 0; i < all.length; i += 77) found.push(...chunked.push(all.subarray(i, i + 77)));
    expect(whole).toHaveLength(1);
    expect(found).toEqual(whole);
    expect(whole[0]).toMatchObject({ startMs: 100, endMs: 600 });
  });
});

describe('AMD settings and results', () => {
  it('the originate overrides the route, defaults fill the rest; only set fields are explicit', () => {
    const s = resolveAmdSettings({ mode: 'adapter', machine: 'message', greetingMs: 2000 }, { greetingMs: 1800 });
    expect(s).toMatchObject({ ...AMD_DEFAULTS, mode: 'adapter', machine: 'message', greetingMs: 1800 });
    expect(s?.explicit).toEqual({ mode: 'adapter', machine: 'message', greetingMs: 1800 });
    expect(resolveAmdSettings({ greetingMs: 2000 }, undefined)).toBeUndefined();
  });

  it('the originate command refuses an unknown mode or field with the path named', () => {
    const bad = originateCommandSchema.safeParse({ type: 'originate', endpoint: 'PJSIP/x', amd: { mode: 'guess' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['amd', 'mode']);
    const extra = originateCommandSchema.safeParse({
      type: 'originate',
      endpoint: 'PJSIP/x',
      amd: { mode: 'adapter', x: 1 },
    });
    expect(extra.success).toBe(false);
    expect(originateCommandSchema.safeParse({ type: 'originate', endpoint: 'PJSIP/x', amd: {} }).success).toBe(false);
  });

  it("Asterisk's AMDSTATUS/AMDCAUSE map to verdicts and causes", () => {
    expect(fromAsteriskAmd('MACHINE', 'MAXWORDS-3-3')).toMatchObject({ result: 'machine', cause: 'MAXWORDS' });
    expect(fromAsteriskAmd('HUMAN', 'HUMAN-800-800')).toMatchObject({ result: 'human', cause: 'HUMAN' });
    expect(fromAsteriskAmd('NOTSURE', 'TOOLONG-5000')).toMatchObject({ result: 'notsure', cause: 'TOOLONG' });
    expect(fromAsteriskAmd('', '')).toMatchObject({ result: 'notsure' });
  });

  it('agents that take only string parameters get the verdict in customParameters', () => {
    const info = { customParameters: { team: 'sales' } } as unknown as Parameters<typeof withAmdResult>[0];
    const amd = { mode: 'adapter', result: 'machine', cause: 'BEEP', beep: true } as const;
    expect(withAmdResult(info, amd).customParameters).toEqual({
      team: 'sales',
      amd: 'machine',
      amdCause: 'BEEP',
      amdBeep: 'true',
    });
    expect(withAmdResult(info, undefined)).toBe(info);
  });

  it('replay: a machine with a message gets the beep that ends after the verdict', () => {
    const s = resolveAmdSettings(undefined, { mode: 'adapter', machine: 'message' })!;
    const r = replay(windows([[0.9, 2000]]), [{ startMs: 3000, endMs: 3500, freqHz: 1000 }], s);
    expect(r).toMatchObject({ result: 'machine', cause: 'LONGGREETING', beep: true, beepEndMs: 3500 });
    const none = replay(windows([[0.9, 2000]]), [], s);
    expect(none).toMatchObject({ result: 'machine', beep: false });
  });
});
