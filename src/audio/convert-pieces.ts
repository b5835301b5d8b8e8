/**
 * Converts consecutive pieces of one audio stream (e.g. queued chunks between marks) as a single continuous stream,
 * then cuts the result again at the same instants: piece i of the result holds the converted audio of input piece i,
 * on a sample boundary of the output, and the last piece takes the converter's tail. `convert` must return the whole
 * converted stream (its flush included). Returns one buffer per input piece (possibly empty), in order.
 */
export function convertPieces(
  pieces: readonly Buffer[],
  convert: (data: Buffer) => Buffer,
  sampleBytes: number,
): Buffer[] {
  const input = Buffer.concat(pieces);
  if (input.length === 0) return pieces.map(() => Buffer.alloc(0));
  const converted = convert(input);
  const outSamples = Math.floor(converted.length / sampleBytes);
  const outTotal = outSamples * sampleBytes;
  const result: Buffer[] = [];
  let inDone = 0;
  let cut = 0;
  for (const [i, piece] of pieces.entries()) {
    inDone += piece.length;
    const scaled = Math.round((inDone / input.length) * outSamples) * sampleBytes;
    const end = i === pieces.length - 1 ? outTotal : Math.min(outTotal, Math.max(cut, scaled));
    result.push(converted.subarray(cut, end));
    cut = end;
  }
  return result;
}
