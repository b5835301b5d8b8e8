/**
 * L16 (RFC 3551 §4.5.11): signed 16-bit samples in network byte order (big-endian). The adapter's PCM is
 * little-endian, as AudioSocket's is, so RTP payloads are byte-swapped at the edge. Missing the swap turns speech
 * into loud noise with the speech's rhythm.
 */

/** Big-endian L16 payload → little-endian PCM16 (a copy; a trailing odd byte is dropped). */
export function l16ToPcm(payload: Uint8Array): Buffer {
  const even = payload.length & ~1;
  const out = Buffer.allocUnsafe(even);
  out.set(payload.subarray(0, even));
  return out.swap16();
}

/** Little-endian PCM16 → big-endian L16 payload (a copy; a trailing odd byte is dropped). */
export function pcmToL16(pcm: Uint8Array): Buffer {
  return l16ToPcm(pcm);
}
