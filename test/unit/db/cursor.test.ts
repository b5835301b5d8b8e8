import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../src/db/cursor.js';
import { fromJsonText, toJsonText } from '../../../src/db/json-column.js';

describe('list cursors', () => {
  it('round-trip any position', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), fc.string({ minLength: 1, maxLength: 36 }), (createdAt, id) => {
        const c = decodeCursor(encodeCursor({ createdAt, id }));
        expect(c.createdAt.getTime()).toBe(createdAt.getTime());
        expect(c.id).toBe(id);
      }),
    );
  });

  it('refuse anything else as INVALID_CURSOR', () => {
    for (const bad of [
      '',
      'abc',
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    }
  });
});

describe('JSON columns', () => {
  it('read back what was written, from text or from a parsed value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(fromJsonText(toJsonText(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
    expect(fromJsonText(null)).toBeNull();
    expect(fromJsonText({ a: 1 })).toEqual({ a: 1 });
    expect(fromJsonText(Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(toJsonText(undefined)).toBe('null');
  });
});
