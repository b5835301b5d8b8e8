import { pcmSamples } from '../../src/audio/format.js';
import { estimateFrequency, goertzelPower, rmsDbfs } from '../../src/audio/tone-analysis.js';

/** Samples with leading and trailing silence (|v| < threshold) trimmed. */
export function trimSilence(samples: Int16Array, threshold = 200): Int16Array {
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]!) < threshold) first++;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]!) < threshold) last--;
  return samples.subarray(first, last + 1);
}

export function trimmedPcm(buf: Buffer): Int16Array {
  return trimSilence(pcmSamples(buf));
}

/**
 * Share of 100 ms windows of `samples` whose frequency is within `hzTolerance` of `freq` and whose level is within
 * `dbTolerance` of `levelDbfs`. Two independent 20 ms clocks (Asterisk's and ours) may now and then meet with a
 * frame of jitter, which shows as one window off; what matters is that the tone arrives intact.
 */
export function toneWindowMatch(
  samples: Int16Array,
  rate: number,
  freq: number,
  levelDbfs: number,
  opts: { hzTolerance?: number; dbTolerance?: number } = {},
): { windows: number; matching: number; share: number } {
  const w = rate / 10;
  let windows = 0;
  let matching = 0;
  for (let start = 0; start + w <= samples.length; start += w) {
    const win = samples.subarray(start, start + w);
    windows += 1;
    let f: number;
    try {
      f = estimateFrequency(win, rate);
    } catch {
      continue;
    }
    if (
      Math.abs(f - freq) <= (opts.hzTolerance ?? 1) &&
      Math.abs(rmsDbfs(win) - levelDbfs) <= (opts.dbTolerance ?? 0.5)
    )
      matching += 1;
  }
  return { windows, matching, share: windows === 0 ? 0 : matching / windows };
}

/** AudioSocket slin kinds by rate, as the simulated Asterisk receives them. */
const SLIN_KIND: Readonly<Record<number, number>> = { 8000: 0x10, 16000: 0x12 };

/**
 * Frames of what a simulated Asterisk received from the adapter that carry a tone at `freq` (the agent's voice
 * stand-in, told apart from silence), with their arrival times. 20 ms each.
 */
export function toneFrames<F extends { kind: number; payload?: Buffer | undefined }>(
  received: readonly F[],
  rate: 8000 | 16000,
  freq: number,
  minPower = 1e5,
): F[] {
  return received.filter(
    (f) =>
      f.kind === SLIN_KIND[rate] &&
      f.payload !== undefined &&
      goertzelPower(pcmSamples(f.payload), rate, freq) > minPower,
  );
}
