import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHAIN_LIMITS } from '../constants.js';
import { SparseMerkleTree } from '../state/smt.js';
import { appendToList, listHasRoom, NS, pageId, readList, getEntry } from './store.js';
import { pageCodec } from './entries.js';

const item = (i: number) => new Uint8Array([i & 0xff, (i >> 8) & 0xff, 7]);

describe('paged lists', () => {
  it('keep append order across pages, and only the last page says more: false', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 12 }), (batches) => {
        const list = new Uint8Array(32).fill(9);
        let s = SparseMerkleTree.empty();
        const all: Uint8Array[] = [];
        let n = 0;
        for (const b of batches) {
          const items = Array.from({ length: b }, () => item(n++));
          s = appendToList(s, NS.index, list, items);
          all.push(...items);
        }
        expect(readList(s, NS.index, list)).toEqual(all);
        const pages = Math.ceil(all.length / CHAIN_LIMITS.pageEntries);
        for (let p = 0; p < pages; p++) {
          const page = getEntry(s, NS.index, pageId(list, p), pageCodec)!;
          expect(page.more).toBe(p < pages - 1);
        }
        expect(getEntry(s, NS.index, pageId(list, pages), pageCodec)).toBeNull();
      }),
      { numRuns: 200 }
    );
  });

  it('the same appends in one or many batches give the same root', () => {
    const list = new Uint8Array(32).fill(3);
    const items = Array.from({ length: 70 }, (_, i) => item(i));
    const one = appendToList(SparseMerkleTree.empty(), NS.index, list, items);
    let many = SparseMerkleTree.empty();
    for (const x of items) many = appendToList(many, NS.index, list, [x]);
    expect(one.root()).toEqual(many.root());
    expect(listHasRoom(one, NS.index, list, CHAIN_LIMITS.pageEntries * CHAIN_LIMITS.maxPages - 70)).toBe(
      true
    );
    expect(listHasRoom(one, NS.index, list, CHAIN_LIMITS.pageEntries * CHAIN_LIMITS.maxPages - 69)).toBe(
      false
    );
  });
});
