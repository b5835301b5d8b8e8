import { z } from 'zod';
import { ALAW8K, type AudioFormat, PCM24K, ULAW8K } from '../../audio/format.js';

/**
 * Realtime audio formats as the GA API names them: `audio/pcm` (PCM16 little-endian at 24 kHz only),
 * `audio/pcmu` (G.711 μ-law, 8 kHz) and `audio/pcma` (G.711 A-law, 8 kHz). The beta API's `pcm16`, `g711_ulaw`
 * and `g711_alaw` and the usual aliases (`mulaw`, `ulaw`, `pcmu`, …) all normalise to these.
 */
export const REALTIME_AUDIO_FORMAT_TYPES = ['audio/pcm', 'audio/pcmu', 'audio/pcma'] as const;
export type RealtimeAudioFormatType = (typeof REALTIME_AUDIO_FORMAT_TYPES)[number];

/** A GA audio format object, as sent in `session.audio.{input,output}.format`. */
export type RealtimeAudioFormat =
  | { readonly type: 'audio/pcm'; readonly rate: 24000 }
  | { readonly type: 'audio/pcmu' }
  | { readonly type: 'audio/pcma' };

export const REALTIME_PCM: RealtimeAudioFormat = Object.freeze({ type: 'audio/pcm', rate: 24000 });
export const REALTIME_PCMU: RealtimeAudioFormat = Object.freeze({ type: 'audio/pcmu' });
export const REALTIME_PCMA: RealtimeAudioFormat = Object.freeze({ type: 'audio/pcma' });

/** Every spelling of a format name seen in the GA API, the beta API and compatible servers, lower-cased. */
const ALIASES: Readonly<Record<string, RealtimeAudioFormatType>> = {
  'audio/pcm': 'audio/pcm',
  pcm: 'audio/pcm',
  pcm16: 'audio/pcm',
  pcm_s16le: 'audio/pcm',
  'audio/pcmu': 'audio/pcmu',
  pcmu: 'audio/pcmu',
  g711_ulaw: 'audio/pcmu',
  'g711-ulaw': 'audio/pcmu',
  ulaw: 'audio/pcmu',
  mulaw: 'audio/pcmu',
  'mu-law': 'audio/pcmu',
  'audio/pcma': 'audio/pcma',
  pcma: 'audio/pcma',
  g711_alaw: 'audio/pcma',
  'g711-alaw': 'audio/pcma',
  alaw: 'audio/pcma',
  'a-law': 'audio/pcma',
};

/** The GA format type a name stands for, or undefined when it names no format we know. */
export function normaliseFormatName(name: string): RealtimeAudioFormatType | undefined {
  return ALIASES[name.trim().toLowerCase()];
}

function fromType(type: RealtimeAudioFormatType): RealtimeAudioFormat {
  switch (type) {
    case 'audio/pcm':
      return REALTIME_PCM;
    case 'audio/pcmu':
      return REALTIME_PCMU;
    case 'audio/pcma':
      return REALTIME_PCMA;
  }
}

/**
 * A format as any server may write it: a GA object (`{type, rate}`) or a beta string, with any known alias.
 * PCM at a rate other than 24 kHz is refused: the API supports only 24 kHz PCM.
 */
export const looseAudioFormatSchema = z
  .union([z.string(), z.looseObject({ type: z.string(), rate: z.number().optional() })])
  .transform((value, ctx): RealtimeAudioFormat => {
    const name = typeof value === 'string' ? value : value.type;
    const type = normaliseFormatName(name);
    if (type === undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown audio format "${name.slice(0, 40)}"` });
      return z.NEVER;
    }
    if (typeof value !== 'string' && type === 'audio/pcm' && value.rate !== undefined && value.rate !== 24000) {
      ctx.addIssue({ code: 'custom', message: `PCM at ${value.rate} Hz: only 24000 Hz is supported` });
      return z.NEVER;
    }
    return fromType(type);
  });

/** Parses a format in any spelling; undefined when it is not one. */
export function parseRealtimeAudioFormat(value: unknown): RealtimeAudioFormat | undefined {
  const parsed = looseAudioFormatSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The adapter's AudioFormat for a Realtime format. */
export function audioFormatOf(format: RealtimeAudioFormat): AudioFormat {
  switch (format.type) {
    case 'audio/pcm':
      return PCM24K;
    case 'audio/pcmu':
      return ULAW8K;
    case 'audio/pcma':
      return ALAW8K;
  }
}

/** The beta API's name for a format (`pcm16`, `g711_ulaw`, `g711_alaw`). */
export function betaFormatName(format: RealtimeAudioFormat): 'pcm16' | 'g711_ulaw' | 'g711_alaw' {
  switch (format.type) {
    case 'audio/pcm':
      return 'pcm16';
    case 'audio/pcmu':
      return 'g711_ulaw';
    case 'audio/pcma':
      return 'g711_alaw';
  }
}

export function realtimeFormatsEqual(a: RealtimeAudioFormat, b: RealtimeAudioFormat): boolean {
  return a.type === b.type;
}

/** Milliseconds of audio in `bytes` of a Realtime format (24 kHz PCM16, or 8 kHz G.711). */
export function realtimeAudioMs(format: RealtimeAudioFormat, bytes: number): number {
  return format.type === 'audio/pcm' ? bytes / 48 : bytes / 8;
}
