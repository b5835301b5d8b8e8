/** DTMF digits an AudioSocket `0x03` frame carries (one ASCII byte). */
export const DTMF_DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'] as const;
export type DtmfDigit = (typeof DTMF_DIGITS)[number];

const DIGIT_SET: ReadonlySet<string> = new Set(DTMF_DIGITS);

export function isDtmfDigit(value: string): value is DtmfDigit {
  return DIGIT_SET.has(value);
}

/** Parses one DTMF byte; lowercase `a`–`d` are read as `A`–`D`. Undefined for anything else. */
export function dtmfDigitFromByte(byte: number): DtmfDigit | undefined {
  const ch = String.fromCharCode(byte);
  const upper = byte >= 0x61 && byte <= 0x64 ? ch.toUpperCase() : ch;
  return isDtmfDigit(upper) ? upper : undefined;
}
