/** A sine tone as PCM16 little-endian mono: the default voice of the example agents. */
export function tonePcm16(sampleRate: number, durationMs: number, frequencyHz = 440, amplitude = 0.3): Buffer {
  const samples = Math.round((sampleRate * durationMs) / 1000);
  const out = Buffer.alloc(samples * 2);
  const peak = Math.round(32767 * Math.min(1, Math.max(0, amplitude)));
  for (let i = 0; i < samples; i += 1) {
    out.writeInt16LE(Math.round(peak * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate)), i * 2);
  }
  return out;
}

/** Splits PCM16 into 20 ms frames at `sampleRate`; the last frame may be shorter. */
export function pcm16Frames(pcm: Buffer, sampleRate: number, frameMs = 20): Buffer[] {
  const size = Math.max(2, Math.round((sampleRate * frameMs) / 1000) * 2);
  const frames: Buffer[] = [];
  for (let offset = 0; offset < pcm.length; offset += size) frames.push(pcm.subarray(offset, offset + size));
  return frames;
}
