import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CoreError, type ErrorCode } from '../errors.js';
import { bytesEqual, encodeCanonical } from '../encoding/cbor.js';
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import {
  deriveAccountKeys,
  recordPublicKey,
  recordSecret,
  seal,
  seededRng,
  utf8Bytes,
  setEd25519Backend,
  sha256,
  wrapTo
} from '../crypto/index.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { FUZZ_RUNS } from '../test-support.js';
import { CATEGORY_CODES } from './categories.js';
import { canonicalJsonBytes } from './canonical-json.js';
import {
  checkRecordHash,
  envelopeCodec,
  type Envelope,
  openRecord,
  readEnvelopeHeader,
  releaseRecordKey,
  sealRecord
} from './envelope.js';
import { diabetesVisit, visitArb } from './test-fixtures.js';

const patientSeed = seededRng(utf8Bytes('patient'))(32);
const doctor = deriveAccountKeys(seededRng(utf8Bytes('doctor'))(32));
/** The writing hospital's authority encryption keys (its authority node holds the secret). */
const hospital = deriveAccountKeys(seededRng(utf8Bytes('hospital authority'))(32));
const emergencyDoctor = deriveAccountKeys(seededRng(utf8Bytes('emergency doctor'))(32));

function sealed(category = 'IV', epoch = 0, seed = 1) {
  return sealRecord({
    bundle: diabetesVisit(seed),
    category,
    epoch,
    patientRecordPublic: recordPublicKey(patientSeed, category, epoch),
    authorEncryptionPublic: doctor.encryptionPublic,
    hospitalEncryptionPublic: hospital.encryptionPublic,
    rng: seededRng(seed + 100)
  });
}

function codeOf(f: () => unknown): ErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    return e.code;
  }
}

beforeAll(() => setEd25519Backend(nodeEd25519));

describe('record envelope', () => {
  it('round-trips for the patient record key and for the author, any bundle', () => {
    fc.assert(
      fc.property(visitArb, fc.constantFrom(...CATEGORY_CODES), fc.nat(1000), (bundle, category, epoch) => {
        const { blob, mhrHash } = sealRecord({
          bundle,
          category,
          epoch,
          patientRecordPublic: recordPublicKey(patientSeed, category, epoch),
          authorEncryptionPublic: doctor.encryptionPublic,
          hospitalEncryptionPublic: hospital.encryptionPublic,
          rng: seededRng(epoch)
        });
        expect(bytesEqual(mhrHash, sha256(blob))).toBe(true);
        expect(readEnvelopeHeader(blob)).toEqual({ category, epoch });
        expect(openRecord(blob, { recordSecret: recordSecret(patientSeed, category, epoch) })).toEqual(
          bundle
        );
        expect(openRecord(blob, { authorSecret: doctor.encryptionSecret })).toEqual(bundle);
        const released = releaseRecordKey(
          blob,
          hospital.encryptionSecret,
          emergencyDoctor.encryptionPublic,
          seededRng(epoch + 1)
        );
        expect(openRecord(blob, { released, readerSecret: emergencyDoctor.encryptionSecret })).toEqual(
          bundle
        );
      }),
      { numRuns: 1000 }
    );
    // About 14 s alone on a 2-core machine; several times that beside the integration tests' nodes.
  }, 240_000);

  it('break-glass: only the writing hospital can release a key, only to that reader, for only that blob', () => {
    const a = sealed('IV', 0, 1).blob;
    const b = sealed('IV', 0, 2).blob;
    const secret = hospital.encryptionSecret;
    const released = releaseRecordKey(a, secret, emergencyDoctor.encryptionPublic, seededRng(9));
    expect(openRecord(a, { released, readerSecret: emergencyDoctor.encryptionSecret })).toEqual(
      diabetesVisit(1)
    );
    // Bound to blob a: it does not open b, even for the same reader.
    expect(codeOf(() => openRecord(b, { released, readerSecret: emergencyDoctor.encryptionSecret }))).toBe(
      'record/no-key'
    );
    // Bound to the reader: another doctor who copies it off the wire cannot use it.
    expect(codeOf(() => openRecord(a, { released, readerSecret: doctor.encryptionSecret }))).toBe(
      'record/no-key'
    );
    // Another hospital's authority cannot release what this hospital sealed.
    const otherHospital = deriveAccountKeys(seededRng(utf8Bytes('another hospital'))(32)).encryptionSecret;
    expect(
      codeOf(() => releaseRecordKey(a, otherHospital, emergencyDoctor.encryptionPublic, seededRng(9)))
    ).toBe('record/no-key');
    // The author's own key opens the author's wrap only, not the hospital's.
    expect(
      codeOf(() => releaseRecordKey(a, doctor.encryptionSecret, doctor.encryptionPublic, seededRng(9)))
    ).toBe('record/no-key');
  });

  it('checks the MHR hash', () => {
    const { blob, mhrHash } = sealed();
    expect(checkRecordHash(blob, mhrHash).ok).toBe(true);
    const other = new Uint8Array(blob);
    other[other.length - 1]! ^= 1;
    const v = checkRecordHash(other, mhrHash);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.error.code).toBe('record/hash-mismatch');
  });

  it('flipping any bit of the blob fails the hash check and fails opening with a named error', () => {
    const { blob, mhrHash } = sealed();
    const secret = recordSecret(patientSeed, 'IV', 0);
    fc.assert(
      fc.property(fc.nat(blob.length * 8 - 1), fc.boolean(), (bit, asAuthor) => {
        const bad = new Uint8Array(blob); // not .slice(): a Buffer's slice() is a view
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(checkRecordHash(bad, mhrHash).ok).toBe(false);
        const code = codeOf(() =>
          openRecord(bad, asAuthor ? { authorSecret: doctor.encryptionSecret } : { recordSecret: secret })
        );
        expect(code).not.toBe('none');
      }),
      { numRuns: 1000 }
    );
  });

  it('the record key of another category or epoch, or another reader, cannot open it', () => {
    const { blob } = sealed('IV', 3);
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORY_CODES), fc.nat(10), (category, epoch) => {
        fc.pre(category !== 'IV' || epoch !== 3);
        expect(
          codeOf(() => openRecord(blob, { recordSecret: recordSecret(patientSeed, category, epoch) }))
        ).toBe('record/no-key');
      }),
      { numRuns: 1000 }
    );
    // The author key is not a record key, and the patient's record key is not the author's.
    expect(codeOf(() => openRecord(blob, { recordSecret: doctor.encryptionSecret }))).toBe('record/no-key');
    expect(codeOf(() => openRecord(blob, { authorSecret: recordSecret(patientSeed, 'IV', 3) }))).toBe(
      'record/no-key'
    );
    const otherPatient = seededRng(utf8Bytes('other'))(32);
    expect(codeOf(() => openRecord(blob, { recordSecret: recordSecret(otherPatient, 'IV', 3) }))).toBe(
      'record/no-key'
    );
  });

  it('a header moved onto another envelope fails: category and epoch are bound to the ciphertext', () => {
    const a = envelopeCodec.decode(sealed('IV', 0).blob);
    // Re-wrap is impossible without the key, but the author's wrap carries no category: only AEAD binds it.
    const moved = envelopeCodec.encode({ ...a, category: 'V' });
    expect(codeOf(() => openRecord(moved, { authorSecret: doctor.encryptionSecret }))).toBe(
      'crypto/decrypt-failed'
    );
    const later = envelopeCodec.encode({ ...a, epoch: 1 });
    expect(codeOf(() => openRecord(later, { authorSecret: doctor.encryptionSecret }))).toBe(
      'crypto/decrypt-failed'
    );
  });

  it('decoding arbitrary bytes fails only with named errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          openRecord(bytes, { authorSecret: doctor.encryptionSecret });
        } catch (e) {
          expect(e).toBeInstanceOf(CoreError);
          return;
        }
        throw new Error('arbitrary bytes opened');
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('refuses unknown categories and invalid bundles at sealing', () => {
    expect(codeOf(() => sealed('XXX'))).toBe('record/unknown-category');
    const bundle = { ...diabetesVisit(), type: 'document' } as unknown as ReturnType<typeof diabetesVisit>;
    expect(
      codeOf(() =>
        sealRecord({
          bundle,
          category: 'IV',
          epoch: 0,
          patientRecordPublic: recordPublicKey(patientSeed, 'IV', 0),
          authorEncryptionPublic: doctor.encryptionPublic,
          hospitalEncryptionPublic: hospital.encryptionPublic,
          rng: seededRng(1)
        })
      )
    ).toBe('record/invalid-fhir');
  });

  it('a valid envelope whose plaintext is not a canonical bundle is record/invalid-fhir', () => {
    // Only a key holder can make one; it must still fail with the named error, not a raw exception.
    const rng = seededRng(5);
    const make = (plaintext: Uint8Array) => {
      const dataKey = rng(32);
      const head = {
        t: TAGS.envelope,
        v: PROTOCOL_VERSION,
        category: 'IV',
        epoch: 0,
        patientKey: wrapTo(recordPublicKey(patientSeed, 'IV', 0), dataKey, 'record/patient/IV/0', rng),
        authorKey: wrapTo(doctor.encryptionPublic, dataKey, 'record/author', rng),
        hospitalKey: wrapTo(hospital.encryptionPublic, dataKey, 'record/emergency', rng)
      };
      return envelopeCodec.encode({
        ...head,
        ct: seal(dataKey, plaintext, rng, encodeCanonical(head))
      } as Envelope);
    };
    const enc = new TextEncoder();
    const good = make(canonicalJsonBytes(diabetesVisit()));
    expect(openRecord(good, { authorSecret: doctor.encryptionSecret })).toEqual(diabetesVisit());
    for (const text of [
      'not json',
      '{"resourceType":"Bundle"}',
      '[]',
      JSON.stringify(diabetesVisit(), null, 2)
    ])
      expect(
        codeOf(() => openRecord(make(enc.encode(text)), { authorSecret: doctor.encryptionSecret }))
      ).toBe('record/invalid-fhir');
  });
});
