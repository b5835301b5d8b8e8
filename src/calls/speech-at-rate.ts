import type { SampleRate } from '../audio/format.js';
import { StreamResampler } from '../audio/resampler.js';
import type { SpeechDetector, SpeechDetectorFactory } from './media-leg.js';

/**
 * A speech detector for caller audio at any PCM16 leg rate. The detector (Silero) runs at 8 or 16 kHz only: a leg at
 * either rate feeds it as is, any other (AudioSocket slin12, slin24 … slin192) through a one-step resampler to
 * 16 kHz. The resampler's delay (under 2 ms) is left in the detector's stream times.
 */
export function speechDetectorForRate(
  factory: SpeechDetectorFactory,
  rate: SampleRate,
  callId: string,
): SpeechDetector {
  if (rate === 8000 || rate === 16000) return factory(rate, callId);
  const detector = factory(16000, callId);
  const resampler = new StreamResampler(rate, 16000);
  let closed = false;
  return {
    push(samples) {
      if (closed) return;
      const converted = resampler.push(samples);
      if (converted.length > 0) detector.push(converted);
    },
    on(event, listener) {
      return detector.on(event, listener);
    },
    close() {
      if (!closed) {
        closed = true;
        resampler.close();
      }
      return detector.close();
    },
  };
}
