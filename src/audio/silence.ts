import type { AudioFormat } from './format.js';

/** The byte that encodes silence in `format` (PCM16 zero, μ-law 0xff, A-law 0xd5). */
export function silenceByte(format: AudioFormat): number {
  switch (format.encoding) {
    case 'pcm16':
      return 0;
    case 'ulaw':
      return 0xff;
    case 'alaw':
      return 0xd5;
  }
}
