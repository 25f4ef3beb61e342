/**
 * The decode-and-signature memo is keyed by exact bytes: a hit is the same transaction, any changed
 * byte is a fresh decode with fresh signature checks, and objects a caller built are never marked.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_RUNS } from '../../test-support.js';
import { record, world, T0, DAY } from '../fixtures.node.js';
import { verifyTx } from '../rules/block.js';
import { appendRecordCodec } from './append-record.js';
import { knownHospitalTx, rememberSignaturesHold, signaturesChecked } from './known.js';

const W = world();
const ctx = { ...W.params, height: 1, time: T0 + DAY, txIndex: 0 };

describe('known transactions', () => {
  it('the same bytes (even a copy) decode to the remembered transaction', () => {
    const bytes = appendRecordCodec.encode(record(W.grantId));
    const a = knownHospitalTx(bytes);
    expect(knownHospitalTx(bytes.slice())).toBe(a);
    expect(a).toEqual(appendRecordCodec.decode(bytes));
  });

  it('after a valid transaction was checked, any changed byte is checked afresh (fast-check)', () => {
    const bytes = appendRecordCodec.encode(record(W.grantId));
    expect(verifyTx(W.hospitalState, bytes, ctx)).toEqual({ ok: true });
    expect(signaturesChecked(knownHospitalTx(bytes))).toBe(true);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = bytes.slice();
        bad[at]! ^= x;
        // Never accepted: a changed byte breaks the encoding, the schema or a signature.
        expect(verifyTx(W.hospitalState, bad, ctx).ok).toBe(false);
        // and the original is still what it was
        expect(verifyTx(W.hospitalState, bytes, ctx).ok).toBe(true);
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('an object the caller built is never marked as signature-checked', () => {
    const tx = record(W.grantId);
    rememberSignaturesHold(tx);
    expect(signaturesChecked(tx)).toBe(false);
  });
});
