import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LIMITS, TAGS } from '../core/constants.js';
import { isCoreError } from '../core/errors.js';
import { encodeCanonical } from '../core/encoding/cbor.js';
import { WRAPPED_KEY_BYTES } from '../core/records/envelope.js';
import { FUZZ_RUNS } from '../core/test-support.js';
import {
  MAX_RECORDS_PER_REQUEST,
  RECORD_LIMITS,
  recordRequestCodec,
  recordResponseCodec,
  type RecordItem
} from './record-fetch.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

/** The largest item an honest client sends: a break-glass statement at its bound, long ids. */
function item(n: number): RecordItem {
  return {
    chainId: `hospital:${'h'.repeat(50)}`,
    height: 2 ** 40 + n,
    txIndex: 2047,
    auth: {
      t: TAGS.netBlobAuth,
      v: 1,
      hash: bytes(32, n) as never,
      node: 'p'.repeat(128),
      requester: bytes(32) as never,
      grantId: bytes(32) as never,
      capability: bytes(32) as never,
      breakGlass: bytes(4 * 1024) as never,
      time: 2 ** 45,
      nonce: bytes(16) as never,
      sig: bytes(64) as never
    }
  };
}

describe('record protocol bounds', () => {
  it('a full request of the largest honest items fits the request limit', () => {
    const items = Array.from({ length: MAX_RECORDS_PER_REQUEST }, (_, i) => item(i));
    const encoded = recordRequestCodec.encode({ t: TAGS.netRecordRequest, v: 1, items });
    expect(encoded.length).toBeLessThanOrEqual(RECORD_LIMITS.maxRequestBytes);
    expect(recordRequestCodec.decode(encoded).items).toHaveLength(MAX_RECORDS_PER_REQUEST);
  });

  it('refuses a request of more records than one request may carry', () => {
    const items = Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, (_, i) => item(i));
    const value = { t: TAGS.netRecordRequest, v: 1, items };
    expect(() => recordRequestCodec.decode(encodeCanonical(value))).toThrow();
  });

  it('one answer frame holds the largest blob with a full proof, and a refusal frame round-trips', () => {
    const full = {
      t: TAGS.netRecordResponse,
      v: 1 as const,
      index: MAX_RECORDS_PER_REQUEST - 1,
      code: null,
      header: bytes(4 * 1024),
      commit: bytes(32 * 1024),
      tx: bytes(64 * 1024),
      proof: bytes(2 * 1024),
      blob: bytes(LIMITS.maxBlobBytes),
      key: bytes(WRAPPED_KEY_BYTES)
    };
    expect(recordResponseCodec.encode(full as never).length).toBeLessThanOrEqual(
      RECORD_LIMITS.maxResponseBytes
    );
    const refused = { ...full, code: 'consent/revoked', header: bytes(0), commit: bytes(0), tx: bytes(0) };
    const back = recordResponseCodec.decode(
      recordResponseCodec.encode({ ...refused, proof: bytes(0), blob: bytes(0), key: bytes(0) } as never)
    );
    expect(back.code).toBe('consent/revoked');
  });

  it('decodes only what it encodes: arbitrary bytes are refused by name or decoded canonically', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (raw) => {
        try {
          const got = recordRequestCodec.decode(raw);
          expect(recordRequestCodec.encode(got)).toEqual(raw);
        } catch (e) {
          expect(isCoreError(e)).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });
});
