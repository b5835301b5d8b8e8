import { estimateFrequency, fitSine, rmsDbfs } from './tone-analysis.js';

/** A beep the detector heard, in stream time (ms of audio pushed). */
export interface Beep {
  readonly startMs: number;
  readonly endMs: number;
  readonly freqHz: number;
}

export interface BeepDetectorOptions {
  readonly sampleRate: number;
  /** A tone must last this long to be a beep. Default 120 ms. */
  readonly minMs?: number;
  /** A tone longer than this is not a beep (a dial tone, a fax). Default 3000 ms. */
  readonly maxMs?: number;
  /** Quietest beep, dBFS. Default -40. */
  readonly minDbfs?: number;
  /** Share of a block's power in its one sinusoid for it to count as tonal. Default 0.8. */
  readonly purity?: number;
  /** Frequency band of beeps, Hz. Default 300–2500. */
  readonly minHz?: number;
  readonly maxHz?: number;
}

const BLOCK_MS = 20;

/**
 * Finds the beep of an answering machine: a steady single tone (one sinusoid holding most of the power, at a
 * frequency that stays within 3 % from one 20 ms block to the next) lasting `minMs` to `maxMs`. Speech is
 * harmonic-rich and glides, so its blocks fail the purity or the steadiness test. Pure: fed PCM16 in any chunk
 * size, it reports each beep once it has ended (`push` returns it).
 */
export class BeepDetector {
  readonly #rate: number;
  readonly #block: Int16Array;
  #fill = 0;
  #blocks = 0;
  #runStart = -1;
  #runFreq = 0;
  #lastFreq = 0;
  readonly #minBlocks: number;
  readonly #maxBlocks: number;
  readonly #minDbfs: number;
  readonly #purity: number;
  readonly #minHz: number;
  readonly #maxHz: number;

  constructor(o: BeepDetectorOptions) {
    this.#rate = o.sampleRate;
    this.#block = new Int16Array(Math.round((o.sampleRate * BLOCK_MS) / 1000));
    this.#minBlocks = Math.ceil((o.minMs ?? 120) / BLOCK_MS);
    this.#maxBlocks = Math.floor((o.maxMs ?? 3000) / BLOCK_MS);
    this.#minDbfs = o.minDbfs ?? -40;
    this.#purity = o.purity ?? 0.8;
    this.#minHz = o.minHz ?? 300;
    this.#maxHz = o.maxHz ?? 2500;
  }

  /** Stream time pushed so far, in whole 20 ms blocks. */
  get elapsedMs(): number {
    return this.#blocks * BLOCK_MS;
  }

  /** Whether a tone long enough to be a beep is sounding now (its end not yet heard). */
  get sounding(): boolean {
    return this.#runStart >= 0 && this.#blocks - this.#runStart >= this.#minBlocks;
  }

  /** Adds samples; returns the beeps that ended within them. */
  push(samples: Int16Array): Beep[] {
    const found: Beep[] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(samples.length - i, this.#block.length - this.#fill);
      this.#block.set(samples.subarray(i, i + n), this.#fill);
      this.#fill += n;
      i += n;
      if (this.#fill < this.#block.length) break;
      this.#fill = 0;
      const beep = this.#onBlock(this.#tone(this.#block));
      if (beep) found.push(beep);
    }
    return found;
  }

  /** The block's tone frequency, or 0 when it is not a pure, loud enough tone in the band. */
  #tone(block: Int16Array): number {
    if (rmsDbfs(block) < this.#minDbfs) return 0;
    let freq: number;
    try {
      freq = estimateFrequency(block, this.#rate);
    } catch {
      return 0;
    }
    if (!(freq >= this.#minHz && freq <= this.#maxHz)) return 0;
    const fit = fitSine(block, this.#rate, freq);
    const tonePower = (fit.amplitude * fit.amplitude) / 2;
    const total = tonePower + fit.residualRms * fit.residualRms;
    return total > 0 && tonePower / total >= this.#purity ? freq : 0;
  }

  #onBlock(freq: number): Beep | undefined {
    const index = this.#blocks;
    this.#blocks += 1;
    const steady = freq > 0 && this.#runStart >= 0 && Math.abs(freq - this.#lastFreq) <= 0.03 * freq;
    if (steady) {
      this.#lastFreq = freq;
      return undefined;
    }
    // The run (if any) ended with the previous block.
    const run = this.#runStart >= 0 ? index - this.#runStart : 0;
    const ended =
      run >= this.#minBlocks && run <= this.#maxBlocks
        ? { startMs: this.#runStart * BLOCK_MS, endMs: index * BLOCK_MS, freqHz: Math.round(this.#runFreq) }
        : undefined;
    this.#runStart = freq > 0 ? index : -1;
    this.#runFreq = freq;
    this.#lastFreq = freq;
    return ended;
  }
}
