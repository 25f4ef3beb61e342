/**
 * The decode-and-signature memo is keyed by exact bytes: a hit is the same transaction, any changed
 * byte is a fresh decode with fresh signature checks, and objects a caller built are never marked.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_RUNS } from '../../test-support.js';
import { record, world, T0, DAY } from '../fixtures.node.js';
import { applyTx, verifyTx } from '../rules/block.js';
import { replayKey, txHash } from '../rules/context.js';
import { hasEntry, NS } from '../store.js';
import { stateKey } from '../../state/smt.js';
import { appendRecordCodec } from './append-record.js';
import {
  KNOWN_TX_MAX_ONE,
  knownConsortium,
  knownHospital,
  knownHospitalTx,
  rememberSignaturesHold,
  signaturesChecked
} from './known.js';

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

  it('hands out the replay key of the exact bytes: the nonce entry of their tx hash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (blob) => {
        const bytes = appendRecordCodec.encode(record(W.grantId, { blob }));
        const want = stateKey(NS.nonce, txHash(bytes));
        expect(replayKey(bytes)).toEqual(want);
        expect(knownHospital(bytes).replayKey).toEqual(want);
        expect(knownHospital(bytes.slice()).replayKey).toEqual(want); // a hit
      }),
      { numRuns: Math.min(FUZZ_RUNS, 50) }
    );
    // Bytes too large for the memo (and not a tx at all) still fail with the decoder's error.
    expect(() => knownConsortium(new Uint8Array(KNOWN_TX_MAX_ONE + 1))).toThrow();
  });

  it('a transaction applied through the memo is marked under its replay key and refused again', () => {
    const bytes = appendRecordCodec.encode(record(W.grantId, { blob: new Uint8Array([42]) }));
    expect(verifyTx(W.hospitalState, bytes, ctx)).toEqual({ ok: true });
    const after = applyTx(W.hospitalState, bytes, ctx);
    expect(hasEntry(after, NS.nonce, txHash(bytes))).toBe(true);
    const v = verifyTx(after, bytes, ctx);
    expect(v.ok ? 'ok' : v.error.code).toBe('chain/replayed-tx');
  });

  it('an object the caller built is never marked as signature-checked', () => {
    const tx = record(W.grantId);
    rememberSignaturesHold(tx);
    expect(signaturesChecked(tx)).toBe(false);
  });
});
