import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SAMPLE_RATES, type SampleRate } from '../../../src/audio/format.js';
import { estimateFrequency, generateTone } from '../../../src/audio/tone-analysis.js';
import type { SpeechDetector, SpeechDetectorFactory } from '../../../src/calls/media-leg.js';
import { speechDetectorForRate } from '../../../src/calls/speech-at-rate.js';

/** A detector that keeps what it is fed, at the rate it was created for. */
class RecordingDetector extends EventEmitter implements SpeechDetector {
  readonly chunks: Int16Array[] = [];
  closed = 0;
  constructor(readonly rate: 8000 | 16000) {
    super();
  }
  push(samples: Int16Array): void {
    this.chunks.push(samples.slice());
  }
  async close(): Promise<void> {
    this.closed += 1;
  }
  samples(): Int16Array {
    return Int16Array.from(this.chunks.flatMap((c) => [...c]));
  }
}

function factory(): { make: SpeechDetectorFactory; made: RecordingDetector[] } {
  const made: RecordingDetector[] = [];
  return {
    made,
    make: (rate) => {
      const d = new RecordingDetector(rate);
      made.push(d);
      return d;
    },
  };
}

describe('speechDetectorForRate', () => {
  it.each([8000, 16000] as const)('hands %i Hz audio to the detector as is, at that rate', (rate) => {
    const f = factory();
    const detector = speechDetectorForRate(f.make, rate, 'call-1');
    const frame = generateTone({ rate, freq: 440, amplitude: 8000, ms: 20 });
    detector.push(frame);
    expect(f.made.map((d) => d.rate)).toEqual([rate]);
    expect(f.made[0]!.samples()).toEqual(frame);
  });

  it.each(SAMPLE_RATES.filter((r) => r !== 8000 && r !== 16000))(
    'feeds a 16 kHz detector with %i Hz leg audio converted to 16 kHz',
    (rate: SampleRate) => {
      const f = factory();
      const detector = speechDetectorForRate(f.make, rate, 'call-1');
      const tone = generateTone({ rate, freq: 440, amplitude: 8000, ms: 1000 });
      const frame = Math.round(rate / 50);
      for (let i = 0; i < tone.length; i += frame) detector.push(tone.subarray(i, i + frame));
      expect(f.made.map((d) => d.rate)).toEqual([16000]);
      const got = f.made[0]!.samples();
      // One second of audio, less the resampler's held-back delay (under 2 ms).
      expect(got.length).toBeGreaterThan(16000 - 32);
      expect(got.length).toBeLessThanOrEqual(16000);
      expect(estimateFrequency(got.subarray(800, 15000), 16000)).toBeCloseTo(440, 0);
      // Events come from the detector; closing closes it and ignores later audio.
      let started = 0;
      detector.on('speechStart', () => started++);
      f.made[0]!.emit('speechStart', { atMs: 10 });
      expect(started).toBe(1);
      void detector.close();
      detector.push(tone.subarray(0, frame));
      expect(f.made[0]!.closed).toBe(1);
      expect(f.made[0]!.samples().length).toBe(got.length);
    },
  );
});
