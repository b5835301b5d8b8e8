import { AppError } from '../errors/app-error.js';

/** Position after which a newest-first listing continues: the last row's creation time and id. */
export interface ListCursor {
  createdAt: Date;
  id: string;
}

/** Encodes a cursor as an opaque URL-safe string for APIs. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.getTime(), cursor.id]), 'utf8').toString('base64url');
}

/** Decodes `encodeCursor` output; a malformed cursor is an `invalid_request` error (code INVALID_CURSOR). */
export function decodeCursor(text: string): ListCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].length > 0 &&
      value[1].length <= 64
    ) {
      return { createdAt: new Date(value[0]), id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new AppError('malformed pagination cursor', {
    code: 'INVALID_CURSOR',
    category: 'invalid_request',
    retryable: false,
  });
}
