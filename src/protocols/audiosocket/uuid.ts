import { AUDIOSOCKET_ERROR, audioSocketError } from './errors.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The all-zero UUID; never a valid call identifier. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** True for a UUID in canonical 8-4-4-4-12 hex form (either case). */
export function isUuidString(value: string): boolean {
  return UUID_RE.test(value);
}

/** 16 binary bytes → canonical lowercase UUID string. */
export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw audioSocketError(AUDIOSOCKET_ERROR.badLength, `a UUID has 16 bytes, got ${bytes.length}`, {
      length: bytes.length,
    });
  }
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Canonical UUID string (either case) → its 16 binary bytes, as the UUID frame carries them. */
export function uuidToBytes(uuid: string): Buffer {
  if (!isUuidString(uuid)) {
    throw audioSocketError(AUDIOSOCKET_ERROR.invalidUuid, `not a UUID: ${JSON.stringify(uuid)}`, { uuid });
  }
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

/** Lowercase canonical form of a UUID string; throws on anything that is not a UUID. */
export function normalizeUuid(uuid: string): string {
  return uuidFromBytes(uuidToBytes(uuid));
}
