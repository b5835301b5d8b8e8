import { createHash, randomBytes } from 'node:crypto';

/** Twilio SID prefixes the dialect uses: stream (MZ), call (CA), account (AC). */
export type TwilioSidPrefix = 'MZ' | 'CA' | 'AC';

/** A fresh random SID: the prefix and 32 lower-case hex digits. */
export function randomTwilioSid(prefix: TwilioSidPrefix): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/**
 * A SID derived from an identifier, stable for the same input: a UUID keeps its own 32 hex digits (so the call SID
 * an agent logs maps straight back to the adapter's call id); anything else is hashed.
 */
export function twilioSidFrom(prefix: TwilioSidPrefix, id: string): string {
  const compact = id.replace(/-/g, '').toLowerCase();
  if (/^[0-9a-f]{32}$/.test(compact)) return `${prefix}${compact}`;
  return `${prefix}${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}
