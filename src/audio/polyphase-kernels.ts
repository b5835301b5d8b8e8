/**
 * The inner loops of the polyphase resampler: dot products of filter branches with the input history. Pure
 * functions over typed arrays. Each output is one running sum in a fixed order that depends only on the output's
 * position in the stream, never on how outputs are grouped into calls, so chunked processing is bit-identical.
 */
import type { TapRun } from './filter-design.js';

function toInt16(v: number): number {
  return Math.min(32767, Math.max(-32768, Math.round(v)));
}

/**
 * Computes `outputs` samples of one branch: output g reads the window starting at `window + g·step` and is written
 * to `out[o + g·ostride]`. Each output is one running sum over the runs in order and their taps in order, so the
 * result does not depend on how outputs are grouped (which is what makes chunked processing bit-identical).
 * Four outputs are computed together: since a run's stride equals `step`, output g+1 reads, at tap t, the sample
 * output g reads at tap t+1, so the four slide along the input and each sample and coefficient is loaded once.
 */
export function runBranch(
  runs: readonly TapRun[],
  buf: Float64Array,
  window: number,
  step: number,
  outputs: number,
  out: Int16Array,
  o: number,
  ostride: number,
): void {
  const nruns = runs.length;
  let g = 0;
  for (; g + 4 <= outputs; g += 4) {
    const w = window + g * step;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let r = 0; r < nruns; r++) {
      const run = runs[r] as TapRun;
      const coefs = run.coefs;
      const taps = coefs.length;
      const s = run.stride;
      let b = w + run.first;
      let x0 = buf[b] as number;
      let x1 = buf[b + s] as number;
      let x2 = buf[b + 2 * s] as number;
      b += 3 * s;
      let t = 0;
      for (; t + 1 < taps; t += 2) {
        const x3 = buf[b] as number;
        const x4 = buf[b + s] as number;
        const c0 = coefs[t] as number;
        const c1 = coefs[t + 1] as number;
        a0 += c0 * x0;
        a1 += c0 * x1;
        a2 += c0 * x2;
        a3 += c0 * x3;
        a0 += c1 * x1;
        a1 += c1 * x2;
        a2 += c1 * x3;
        a3 += c1 * x4;
        x0 = x2;
        x1 = x3;
        x2 = x4;
        b += 2 * s;
      }
      if (t < taps) {
        const c0 = coefs[t] as number;
        a0 += c0 * x0;
        a1 += c0 * x1;
        a2 += c0 * x2;
        a3 += c0 * (buf[b] as number);
      }
    }
    const i = o + g * ostride;
    out[i] = toInt16(a0);
    out[i + ostride] = toInt16(a1);
    out[i + 2 * ostride] = toInt16(a2);
    out[i + 3 * ostride] = toInt16(a3);
  }
  for (; g < outputs; g++) {
    const w = window + g * step;
    let a = 0;
    for (let r = 0; r < nruns; r++) {
      const run = runs[r] as TapRun;
      const coefs = run.coefs;
      const taps = coefs.length;
      const s = run.stride;
      let b = w + run.first;
      for (let t = 0; t < taps; t++) {
        a += (coefs[t] as number) * (buf[b] as number);
        b += s;
      }
    }
    out[o + g * ostride] = toInt16(a);
  }
}

/**
 * Computes `count` consecutive outputs with a dense bank (see `DensePolyphaseBank`): output i reads branch `p` and
 * the window starting at `k − span + 1` (absolute input index), where `p` and `k` start at the values given and move
 * on by `down` positions of the upsampled grid per output. `bufStart` is the absolute index of `buf[0]`.
 */
export function runDense(
  coefs: Float64Array,
  span: number,
  up: number,
  down: number,
  p: number,
  k: number,
  buf: Float64Array,
  bufStart: number,
  count: number,
  out: Int16Array,
): void {
  const stepK = Math.floor(down / up);
  const stepP = down - stepK * up;
  for (let i = 0; i < count; i++) {
    const w = k - span + 1 - bufStart;
    const c = p * span;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let t = 0;
    for (; t + 3 < span; t += 4) {
      a0 += (coefs[c + t] as number) * (buf[w + t] as number);
      a1 += (coefs[c + t + 1] as number) * (buf[w + t + 1] as number);
      a2 += (coefs[c + t + 2] as number) * (buf[w + t + 2] as number);
      a3 += (coefs[c + t + 3] as number) * (buf[w + t + 3] as number);
    }
    for (; t < span; t++) a0 += (coefs[c + t] as number) * (buf[w + t] as number);
    out[i] = toInt16(a0 + a1 + (a2 + a3));
    k += stepK;
    p += stepP;
    if (p >= up) {
      p -= up;
      k += 1;
    }
  }
}
