import { type ResamplerRate, pcmSamples } from '../../audio/format.js';
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../audio/g711.js';
import { StreamResampler } from '../../audio/resampler.js';
import { generateTone } from '../../audio/tone-analysis.js';
import type { RealtimeAudioFormat } from '../../protocols/realtime/audio-formats.js';

/** The simulated model's voice: a tone, or PCM16 samples (a speech fixture) at 8, 16, 24 or 48 kHz, looped. */
export type SimVoice =
  | { readonly type: 'tone'; readonly frequency?: number; readonly amplitude?: number }
  | { readonly type: 'samples'; readonly samples: Int16Array; readonly sampleRate: ResamplerRate };

export const DEFAULT_SIM_VOICE: SimVoice = { type: 'tone', frequency: 440, amplitude: 8000 };

function rateOf(format: RealtimeAudioFormat): 8000 | 24000 {
  return format.type === 'audio/pcm' ? 24000 : 8000;
}

/** Bytes of one ms in a Realtime format. */
export function bytesPerMs(format: RealtimeAudioFormat): number {
  return format.type === 'audio/pcm' ? 48 : 8;
}

function encode(format: RealtimeAudioFormat, samples: Int16Array): Buffer {
  switch (format.type) {
    case 'audio/pcm':
      return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    case 'audio/pcmu':
      return ulawEncode(samples);
    case 'audio/pcma':
      return alawEncode(samples);
  }
}

/** Caller audio from `input_audio_buffer.append` as PCM16 samples at the format's rate. */
export function decodeInput(format: RealtimeAudioFormat, data: Buffer): { samples: Int16Array; sampleRate: number } {
  switch (format.type) {
    case 'audio/pcm':
      return { samples: pcmSamples(data), sampleRate: 24000 };
    case 'audio/pcmu':
      return { samples: ulawDecode(data), sampleRate: 8000 };
    case 'audio/pcma':
      return { samples: alawDecode(data), sampleRate: 8000 };
  }
}

/**
 * Renders the voice in a session's output format. A tone is generated at the output rate; samples are resampled
 * once per format and cached, then looped.
 */
export class SimVoiceRenderer {
  readonly #voice: SimVoice;
  readonly #cache = new Map<string, Buffer>();

  constructor(voice: SimVoice) {
    this.#voice = voice;
  }

  /** `ms` milliseconds of the voice in `format`, starting `offsetMs` into it. */
  render(format: RealtimeAudioFormat, offsetMs: number, ms: number): Buffer {
    const per = bytesPerMs(format);
    const base = this.#base(format);
    const want = Math.round(ms) * per;
    const out = Buffer.alloc(want);
    let from = (Math.round(offsetMs) * per) % base.length;
    let filled = 0;
    while (filled < want) {
      const n = Math.min(want - filled, base.length - from);
      base.copy(out, filled, from, from + n);
      filled += n;
      from = (from + n) % base.length;
    }
    return out;
  }

  #base(format: RealtimeAudioFormat): Buffer {
    const cached = this.#cache.get(format.type);
    if (cached) return cached;
    const rate = rateOf(format);
    let samples: Int16Array;
    const v = this.#voice;
    if (v.type === 'tone') {
      // One second, a whole number of periods for the default frequencies: loops without a click.
      samples = generateTone({ rate, freq: v.frequency ?? 440, amplitude: v.amplitude ?? 8000, ms: 1000 });
    } else if (v.sampleRate === rate) {
      samples = v.samples;
    } else {
      const r = new StreamResampler(v.sampleRate, rate as ResamplerRate);
      const head = r.push(v.samples);
      const tail = r.flush();
      samples = new Int16Array(head.length + tail.length);
      samples.set(head, 0);
      samples.set(tail, head.length);
    }
    const bytes = encode(format, samples);
    const per = bytesPerMs(format);
    const whole = bytes.subarray(0, bytes.length - (bytes.length % per));
    const copy = Buffer.from(whole.length > 0 ? whole : Buffer.alloc(per));
    this.#cache.set(format.type, copy);
    return copy;
  }
}
