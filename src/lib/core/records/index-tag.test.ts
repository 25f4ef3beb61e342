import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CoreError } from '../errors.js';
import { bytesEqual } from '../encoding/cbor.js';
import { CATEGORY_CODES } from './categories.js';
import { indexTag, indexTagFromCapability, searchCapability } from './index-tag.js';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const category = fc.constantFrom(...CATEGORY_CODES);

describe('secure index tags', () => {
  it('match for the same patient and category, also when computed from a granted capability', () => {
    fc.assert(
      fc.property(key, category, (k, c) => {
        const t = indexTag(k, c);
        expect(t.length).toBe(32);
        expect(bytesEqual(t, indexTag(new Uint8Array(k), c))).toBe(true);
        expect(bytesEqual(t, indexTagFromCapability(searchCapability(k, c)))).toBe(true);
      }),
      { numRuns: 1000 }
    );
  });

  it('differ across patients', () => {
    fc.assert(
      fc.property(key, key, category, (a, b, c) => {
        fc.pre(!bytesEqual(a, b));
        expect(bytesEqual(indexTag(a, c), indexTag(b, c))).toBe(false);
      }),
      { numRuns: 1000 }
    );
  });

  it('differ across categories, and a capability for one category is not the tag or capability of another', () => {
    fc.assert(
      fc.property(key, category, category, (k, c1, c2) => {
        fc.pre(c1 !== c2);
        const cap = searchCapability(k, c1);
        expect(bytesEqual(indexTag(k, c1), indexTag(k, c2))).toBe(false);
        expect(bytesEqual(cap, searchCapability(k, c2))).toBe(false);
        expect(bytesEqual(cap, indexTag(k, c1))).toBe(false);
      }),
      { numRuns: 1000 }
    );
  });

  it('refuse unknown categories and wrong key lengths with named errors', () => {
    const k = new Uint8Array(32);
    expect(() => indexTag(k, 'XXIII')).toThrow(CoreError);
    expect(() => indexTag(k, 'iv')).toThrowError(/record\/unknown-category/);
    expect(() => indexTag(new Uint8Array(31), 'IV')).toThrowError(/crypto\/bad-key/);
    expect(() => indexTagFromCapability(new Uint8Array(33))).toThrowError(/crypto\/bad-key/);
  });
});
