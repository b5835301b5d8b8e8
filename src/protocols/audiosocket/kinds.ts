import { type AudioFormat, FRAME_MS, type SampleRate } from '../../audio/format.js';

/**
 * AudioSocket message kinds as the Asterisk source numbers them (`res_audiosocket.h`). Note `0x12` is slin16;
 * `0x11` is slin12 (some docs and libraries wrongly call `0x11` slin16).
 */
export const AUDIOSOCKET_KIND = {
  hangup: 0x00,
  uuid: 0x01,
  dtmf: 0x03,
  slin8: 0x10,
  slin12: 0x11,
  slin16: 0x12,
  slin24: 0x13,
  slin32: 0x14,
  slin44: 0x15,
  slin48: 0x16,
  slin96: 0x17,
  slin192: 0x18,
  error: 0xff,
} as const;

/** Sample rate of each audio kind; audio payloads are signed 16-bit little-endian mono PCM at that rate. */
export const AUDIO_KIND_SAMPLE_RATE = {
  16: 8000,
  17: 12000,
  18: 16000,
  19: 24000,
  20: 32000,
  21: 44100,
  22: 48000,
  23: 96000,
  24: 192000,
} as const satisfies Record<number, SampleRate>;

/** A kind byte that carries audio (`0x10`–`0x18`); the only kinds besides hangup that may be sent to Asterisk. */
export type AudioKind = keyof typeof AUDIO_KIND_SAMPLE_RATE;

/** Every audio kind, in ascending order. */
export const AUDIO_KINDS: readonly AudioKind[] = Object.freeze([
  0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
] as const);

/** Codes an `0xff` error frame documents (the current Asterisk code never sends one). */
export const AUDIOSOCKET_ERROR_CODE = {
  callerHungUp: 0x01,
  frameForwarding: 0x02,
  memory: 0x04,
} as const;

const FORMATS: Readonly<Record<AudioKind, AudioFormat>> = Object.freeze({
  16: Object.freeze({ encoding: 'pcm16', sampleRate: 8000 }),
  17: Object.freeze({ encoding: 'pcm16', sampleRate: 12000 }),
  18: Object.freeze({ encoding: 'pcm16', sampleRate: 16000 }),
  19: Object.freeze({ encoding: 'pcm16', sampleRate: 24000 }),
  20: Object.freeze({ encoding: 'pcm16', sampleRate: 32000 }),
  21: Object.freeze({ encoding: 'pcm16', sampleRate: 44100 }),
  22: Object.freeze({ encoding: 'pcm16', sampleRate: 48000 }),
  23: Object.freeze({ encoding: 'pcm16', sampleRate: 96000 }),
  24: Object.freeze({ encoding: 'pcm16', sampleRate: 192000 }),
} satisfies Record<AudioKind, AudioFormat>);

/** True for `0x10`–`0x18`. */
export function isAudioKind(kind: number): kind is AudioKind {
  return kind >= 0x10 && kind <= 0x18 && Number.isInteger(kind);
}

export function sampleRateOfAudioKind(kind: AudioKind): SampleRate {
  return AUDIO_KIND_SAMPLE_RATE[kind];
}

/** The (frozen, shared) PCM16 format an audio kind carries. */
export function audioFormatOfKind(kind: AudioKind): AudioFormat {
  return FORMATS[kind];
}

/** The audio kind for a PCM16 sample rate, or undefined if AudioSocket has no kind for that rate. */
export function audioKindForSampleRate(rate: number): AudioKind | undefined {
  for (const kind of AUDIO_KINDS) if (AUDIO_KIND_SAMPLE_RATE[kind] === rate) return kind;
  return undefined;
}

/** Payload bytes of one 20 ms frame of an audio kind (320 for `0x10`, 640 for `0x12`). */
export function audioKindFrameBytes(kind: AudioKind): number {
  return Math.round((AUDIO_KIND_SAMPLE_RATE[kind] * FRAME_MS) / 1000) * 2;
}

/** `0x12` → `"0x12"`, for log lines. */
export function formatKind(kind: number): string {
  return `0x${kind.toString(16).padStart(2, '0')}`;
}
