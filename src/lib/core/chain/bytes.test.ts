/** signedPartOf cuts exactly the bytes signable would encode, for any canonical map with a `sig`. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_RUNS } from '../test-support.js';
import { encodeCanonical } from '../encoding/cbor.js';
import { signable } from '../encoding/codec.js';
import { signedPartOf } from './bytes.js';
import { record, world } from './fixtures.node.js';
import { appendRecordCodec } from './tx/append-record.js';

const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.string(),
    fc.uint8Array({ maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('tree'), { maxLength: 30 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('tree'), { maxKeys: 30 })
  )
}));

describe('signedPartOf', () => {
  it('equals signable(value) for any map with a sig, and is undefined without one (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), tree, { maxKeys: 40 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.boolean(),
        (fields, sig, withSig) => {
          const obj: Record<string, unknown> = { ...fields };
          delete obj.sig;
          if (withSig) obj.sig = sig;
          const encoded = encodeCanonical(obj);
          if (withSig) expect(signedPartOf(encoded)).toEqual(signable(obj));
          else expect(signedPartOf(encoded)).toBeUndefined();
        }
      ),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('cuts a record transaction to the bytes its author signed', () => {
    const tx = record(world().grantId);
    expect(signedPartOf(appendRecordCodec.encode(tx))).toEqual(signable(tx));
    expect(signedPartOf(encodeCanonical([1, 2]))).toBeUndefined();
  });
});
