/**
 * Tone-burst probes for latency measurements: a caller's audio is real speech with a short 1 kHz burst every few
 * seconds, and an `OnsetDetector` finds the burst's onset in any 20 ms frame stream that carries it (echoed back to
 * the caller, or arriving at an agent).
 *
 * Every burst is preceded by 40 ms of near-silence and starts on a frame boundary at the sender, at a cosine peak,
 * so its first sample is unambiguous. Detection: a frame is "tone" when its Goertzel power at the burst frequency is
 * at least 10 % of the burst's full power and at least 80 % of the frame's power (speech rarely puts that much of a
 * frame into one 50 Hz bin); an onset is two tone frames in a row after ≥ 200 ms without one. That alone resolves
 * the onset to ±1 frame (20 ms); it is refined to the sample: the first sample of the first frame (or the frame
 * before it, when a relay re-framed the stream) whose magnitude exceeds a third of the burst amplitude. The onset
 * time is that frame's arrival time plus the sample's offset in it, comparable with the time the sender wrote its
 * onset frame (whose first sample is the onset).
 */
import { pcmSamples } from '../../src/audio/format.js';
import { goertzelPower } from '../../src/audio/tone-analysis.js';

export interface BurstSpec {
  /** Burst frequency, Hz. Default 1000. */
  readonly freq?: number;
  /** Burst length, ms (a whole number of frames). Default 80. */
  readonly toneMs?: number;
  /** One burst every this many ms. Default 2000. */
  readonly periodMs?: number;
  /** Peak amplitude (PCM16). Default 16384 (−6 dBFS). */
  readonly amplitude?: number;
}

const FRAME_MS = 20;
const QUIET_FRAMES = 2;

/**
 * A caller's audio: `speech` (mono PCM16 at `rate`, looped from `speechOffset`, at half level) with a burst every
 * `periodMs` starting at frame `phaseFrames`, ±1 LSB of dither everywhere (so no two frames are ever identical).
 * `next(frameIndex)` returns frame `frameIndex`, and whether a burst starts with it.
 */
export function burstyCallerAudio(
  speech: Int16Array,
  rate: number,
  phaseFrames: number,
  spec: BurstSpec = {},
  speechOffset = 0,
): { next(frameIndex: number): { samples: Int16Array; onset: boolean } } {
  const n = (rate * FRAME_MS) / 1000;
  const periodFrames = Math.round((spec.periodMs ?? 2000) / FRAME_MS);
  const toneFrames = Math.round((spec.toneMs ?? 80) / FRAME_MS);
  const w = (2 * Math.PI * (spec.freq ?? 1000)) / rate;
  const amplitude = spec.amplitude ?? 16384;
  let seed = (phaseFrames * 2654435761 + speechOffset + 1) >>> 0;
  return {
    next(frameIndex) {
      const samples = new Int16Array(n);
      const inPeriod = (((frameIndex - phaseFrames) % periodFrames) + periodFrames) % periodFrames;
      const tone = inPeriod < toneFrames;
      const quiet = inPeriod >= periodFrames - QUIET_FRAMES;
      for (let i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        seed >>>= 0;
        const dither = (seed & 1) === 0 ? -1 : 1;
        let x = 0;
        if (tone) x = Math.round(amplitude * Math.cos(w * (inPeriod * n + i)));
        else if (!quiet && speech.length > 0) x = speech[(speechOffset + frameIndex * n + i) % speech.length]! >> 1;
        samples[i] = Math.max(-32768, Math.min(32767, x + dither));
      }
      return { samples, onset: inPeriod === 0 };
    },
  };
}

/** Frames of a {@link callerTape}: 30 s, rounded up to whole burst periods. */
const TAPE_MS = 30_000;

/**
 * The callers' audio rendered once for all calls (a load generator's hot path): {@link burstyCallerAudio} for 30 s
 * with its bursts at frames 0, period, 2 × period, …, looped. `caller(phaseFrames, speechOffset)` plays it for one
 * call with its bursts starting at frame `phaseFrames` (as `burstyCallerAudio` with that phase) from a place on the
 * tape chosen by `speechOffset` (samples, rounded down to whole periods); each frame is a view of the tape, not a
 * copy. Consecutive frames are never identical (the dither), as with `burstyCallerAudio`.
 */
export function callerTape(
  speech: Int16Array,
  rate: number,
  spec: BurstSpec = {},
): {
  caller(
    phaseFrames: number,
    speechOffset: number,
  ): { next(frameIndex: number): { samples: Int16Array; onset: boolean } };
} {
  const n = (rate * FRAME_MS) / 1000;
  const periodFrames = Math.round((spec.periodMs ?? 2000) / FRAME_MS);
  const frames = Math.ceil(TAPE_MS / FRAME_MS / periodFrames) * periodFrames;
  const tape = new Int16Array(frames * n);
  const audio = burstyCallerAudio(speech, rate, 0, spec, 0);
  for (let k = 0; k < frames; k++) tape.set(audio.next(k).samples, k * n);
  return {
    caller(phaseFrames, speechOffset) {
      const start = Math.floor(speechOffset / n / periodFrames) * periodFrames - phaseFrames;
      return {
        next(frameIndex) {
          const t = (((start + frameIndex) % frames) + frames) % frames;
          return { samples: tape.subarray(t * n, (t + 1) * n), onset: t % periodFrames === 0 };
        },
      };
    },
  };
}

/** Finds burst onsets in a stream of frames; see the module comment for the rule and its resolution. */
export class OnsetDetector {
  readonly #rate: number;
  readonly #freq: number;
  readonly #amplitude: number;
  #lastToneAt = Number.NEGATIVE_INFINITY;
  #pending: { samples: Int16Array; at: number; before: { samples: Int16Array; at: number } | undefined } | undefined;
  #prev: { samples: Int16Array; at: number } | undefined;

  constructor(rate: number, spec: BurstSpec = {}) {
    this.#rate = rate;
    this.#freq = spec.freq ?? 1000;
    this.#amplitude = spec.amplitude ?? 16384;
  }

  /** Feeds one received frame (PCM16 LE) with its arrival time; returns the onset time when this frame confirms one. */
  push(payload: Buffer, at: number): number | undefined {
    const samples = pcmSamples(payload);
    const frame = { samples, at };
    const before = this.#prev;
    this.#prev = frame;
    if (!this.#isTone(samples)) {
      this.#pending = undefined;
      return undefined;
    }
    const quietBefore = at - this.#lastToneAt > 200;
    this.#lastToneAt = at;
    if (this.#pending) {
      const first = this.#pending;
      this.#pending = undefined;
      return this.#refine(first.before, first);
    }
    if (quietBefore) this.#pending = { samples, at, before };
    return undefined;
  }

  #isTone(samples: Int16Array): boolean {
    if (samples.length === 0) return false;
    let energy = 0;
    for (let i = 0; i < samples.length; i++) energy += samples[i]! * samples[i]!;
    energy /= samples.length;
    const minPower = 0.1 * ((this.#amplitude * this.#amplitude) / 2);
    // One bin's power is at most twice the frame's mean energy (Cauchy–Schwarz): a quieter frame cannot be tone, and
    // most frames are skipped without the Goertzel pass (the load generator runs this on every frame it receives).
    if (2 * energy < minPower) return false;
    const power = goertzelPower(samples, this.#rate, this.#freq);
    return power >= minPower && power >= 0.8 * energy;
  }

  #refine(before: { samples: Int16Array; at: number } | undefined, first: { samples: Int16Array; at: number }): number {
    const threshold = this.#amplitude / 3;
    const msPerSample = 1000 / this.#rate;
    for (const f of before ? [before, first] : [first]) {
      const i = f.samples.findIndex((x) => Math.abs(x) > threshold);
      if (i >= 0) return f.at + i * msPerSample;
    }
    return first.at;
  }
}

/**
 * Pairs each sent onset with the first onset seen downstream after it (within `withinMs`); returns the delays, ms.
 * Both lists ascending, on one time base.
 */
export function matchOnsets(sent: readonly number[], seen: readonly number[], withinMs: number): number[] {
  const out: number[] = [];
  let j = 0;
  for (const t of sent) {
    while (j < seen.length && seen[j]! < t) j++;
    if (j < seen.length && seen[j]! - t < withinMs) out.push(seen[j]! - t);
  }
  return out;
}
