/**
 * A write grant, end to end from the patient's QR: the doctor decodes the link, opens the caps (the
 * index tag and record public key per category — no search capability for write-only scope), submits
 * the grant with the commitments rebuilt from the caps (no second patient signature), and files a
 * record under the patient's tag. Commitment lists that are not exactly the patient's are refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRng } from '../crypto/random.js';
import { createGrant, grantId, openGrantCaps, type ScopeInput } from '../consent/grant.js';
import { decodeQrLink, encodeQrLink } from '../consent/qr.js';
import { indexTag } from '../records/index-tag.js';
import {
  CONSORTIUM_CTX,
  DAY,
  DOCTOR,
  HOSPITAL,
  MIRRORS,
  PATIENT,
  T0,
  attest,
  world
} from './fixtures.node.js';
import { compareBytes } from './bytes.js';
import { grantTxCodec, makeGrantTx } from './tx/consent.js';
import { appendRecordCodec, createAppendRecord } from './tx/append-record.js';
import { applyTx, verifyTx, type ChainParams } from './rules/block.js';
import type { TxContext } from './rules/context.js';
import type { ChainState } from './store.js';
import { sha256 } from '../crypto/hash.js';

const W = world();
let generated = 0;

function grant(scope: ScopeInput, seq: number) {
  return createGrant({
    seed: PATIENT.seed,
    doctor: { signingPublic: DOCTOR.keys.signingPublic, encryptionPublic: DOCTOR.keys.encryptionPublic },
    scope,
    notBefore: T0,
    expiry: T0 + 30 * DAY,
    seq,
    epoch: 0,
    rng: seededRng(seq)
  });
}

function code(s: ChainState, tx: Uint8Array, c: TxContext = CONSORTIUM_CTX): string {
  const v = verifyTx(s, tx, c);
  return v.ok ? 'ok' : v.error.code;
}

describe('write-only grant from the QR alone', () => {
  it('the doctor submits it, computes the tag from the caps, and writes under the patient’s index', () => {
    const link = encodeQrLink(
      'https://carechain.example',
      grant({ categories: ['IV', 'IX'], read: false, write: true }, 40)
    );
    const scanned = decodeQrLink(link);
    const caps = openGrantCaps(scanned, DOCTOR.keys.encryptionSecret);
    expect(caps.search.size).toBe(0);
    expect(caps.recordSecrets.size).toBe(0);
    const gtx = grantTxCodec.encode(makeGrantTx(scanned, caps.writeCommits));
    expect(code(W.consortium, gtx)).toBe('ok');
    const consortium = applyTx(W.consortium, gtx, CONSORTIUM_CTX);

    const tag = caps.tags.get('IX')!;
    // the same tag the patient's own search computes
    expect(tag).toEqual(indexTag(PATIENT.keys.indexKey, 'IX'));
    const mhrHash = sha256(new TextEncoder().encode('write-only record'));
    const rec = createAppendRecord(DOCTOR.keys.signingSeed, DOCTOR.keys.signingPublic, {
      hospital: HOSPITAL,
      tag,
      blobRef: 'sha256:write-only',
      mhrHash,
      grant: grantId(scanned),
      opening: caps.recordPublics.get('IX')!,
      time: T0 + DAY,
      attestations: MIRRORS[HOSPITAL]!.map((m) => attest(m, mhrHash))
    });
    const params: ChainParams = {
      ...W.params,
      config: { kind: 'hospital', hospitalId: HOSPITAL, consortium }
    };
    const h: TxContext = { ...params, height: 1, time: T0 + DAY, txIndex: 0 };
    expect(code(W.hospitalState, appendRecordCodec.encode(rec), h)).toBe('ok');
    // a category the grant does not cover stays out of scope, even with a valid-looking opening
    const other = createAppendRecord(DOCTOR.keys.signingSeed, DOCTOR.keys.signingPublic, {
      ...rec,
      tag: indexTag(PATIENT.keys.indexKey, 'V')
    });
    expect(code(W.hospitalState, appendRecordCodec.encode(other), h)).toBe('consent/out-of-scope');
  });

  it('a read+write grant of every category goes on chain with its 22 commitments', () => {
    const g = grant({ categories: 'all', read: true, write: true }, 41);
    const caps = openGrantCaps(g, DOCTOR.keys.encryptionSecret);
    expect(caps.writeCommits).toHaveLength(22);
    expect(code(W.consortium, grantTxCodec.encode(makeGrantTx(g, caps.writeCommits)))).toBe('ok');
  });

  it('commitments that are not exactly the patient’s list → consent/malformed', () => {
    const g = grant({ categories: ['II', 'IV', 'IX'], read: false, write: true }, 42);
    const mine = openGrantCaps(g, DOCTOR.keys.encryptionSecret).writeCommits;
    const readOnly = grant({ categories: ['IV'], read: true, write: false }, 43);
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        fc.constantFrom('drop', 'add', 'replace', 'unsorted', 'on-read-only'),
        fc.nat(2),
        hash,
        (how, i, h) => {
          generated++;
          let list = [...mine];
          let target = g;
          if (how === 'drop') list.splice(i, 1);
          if (how === 'add') list = [...list, h].sort(compareBytes);
          if (how === 'replace') list = list.map((x, j) => (j === i ? h : x)).sort(compareBytes);
          if (how === 'unsorted') list = [list[2]!, list[0]!, list[1]!];
          if (how === 'on-read-only') target = readOnly;
          expect(code(W.consortium, grantTxCodec.encode(makeGrantTx(target, list)))).toBe(
            'consent/malformed'
          );
        }
      ),
      { numRuns: 40 }
    );
  });
});

afterAll(() => {
  expect(generated).toBeGreaterThanOrEqual(40);
});
