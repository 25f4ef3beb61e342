/**
 * The per-state lookup memo (rules/lookup.ts) returns exactly what a fresh read of that state returns,
 * whatever was read before from it — including ids whose spellings in the memo key could be confused.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_RUNS } from '../test-support.js';
import { account as accountOf } from './rules/lookup.js';
import { accountEntryCodec } from './entries.js';
import { account, actor, withAccount } from './fixtures.node.js';
import { getEntry, NS } from './store.js';
import { SparseMerkleTree } from '../state/smt.js';

const A = account(actor('lookup-a'), { role: 'doctor' });
const B = account(actor('lookup-b'), { role: 'patient' });

describe('lookup memo', () => {
  it('answers every read of a state like a fresh read, in any order (fast-check)', () => {
    const base = withAccount(withAccount(SparseMerkleTree.empty(), A), B);
    // Keys that differ only in one byte, or start with a quote, or are A's key with a byte moved.
    const near = (k: Uint8Array) => {
      const x = k.slice();
      x[0] = 0x27;
      return x;
    };
    const keys = [A.key, B.key, near(A.key), near(B.key), new Uint8Array(32), A.key.slice().reverse()];
    fc.assert(
      fc.property(fc.array(fc.nat(keys.length - 1), { minLength: 1, maxLength: 20 }), (order) => {
        const s = withAccount(base, account(actor('lookup-c'), { role: 'node' })); // a fresh state, fresh memo
        for (const i of order) {
          const k = keys[i]!;
          expect(accountOf(s, k)).toEqual(getEntry(s, NS.account, k, accountEntryCodec));
        }
      }),
      { numRuns: Math.min(FUZZ_RUNS, 100) }
    );
    expect(accountOf(base, A.key)?.role).toBe('doctor');
    expect(accountOf(base, B.key)?.role).toBe('patient');
    expect(accountOf(base, near(A.key))).toBeNull();
  });
});
