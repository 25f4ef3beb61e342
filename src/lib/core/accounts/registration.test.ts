import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CoreError } from '../errors.js';
import { seededRng, setEd25519Backend } from '../crypto/index.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { bytesEqual } from '../encoding/cbor.js';
import { FUZZ_RUNS } from '../test-support.js';
import { approvalCodec } from './approval.js';
import { recoveryCodec, signRecovery, verifyRecovery } from './recovery.js';
import {
  newPseudonym,
  registrationCodec,
  registrationSubject,
  signRegistration,
  verifyRegistration,
  type Registration
} from './registration.js';
import { seedBackupCodec } from './seed-backup.js';
import { accounts, approvalArb, recoveryArb, registrationArb } from './test-fixtures.js';
import { approve, verifyApproval } from './approval.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

const [patient, doctor, node, mgr, fresh] = accounts as [
  (typeof accounts)[0],
  (typeof accounts)[0],
  (typeof accounts)[0],
  (typeof accounts)[0],
  (typeof accounts)[0]
];

const signed: Registration[] = [
  signRegistration(
    {
      role: 'patient',
      signingPublic: patient.signingPublic,
      encryptionPublic: patient.encryptionPublic,
      created: 1714555800000,
      pseudonym: newPseudonym(seededRng(1))
    },
    patient.signingSeed
  ),
  signRegistration(
    {
      role: 'doctor',
      signingPublic: doctor.signingPublic,
      encryptionPublic: doctor.encryptionPublic,
      created: 1714555800000,
      profile: {
        name: 'Dr. Farhana Rahman',
        speciality: 'Endocrinology',
        degree: 'MBBS, FCPS',
        hospitalId: 'dhaka-medical',
        rank: 'consultant'
      }
    },
    doctor.signingSeed
  ),
  signRegistration(
    {
      role: 'node',
      signingPublic: node.signingPublic,
      encryptionPublic: node.encryptionPublic,
      created: 1,
      hospitalId: 'dhaka-medical',
      nodeRole: 'validator',
      peerId: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    },
    node.signingSeed
  )
];

/** Flip one bit of the encoding: either decoding fails with a named error or verification fails. */
function flippedFails<T>(
  bytes: Uint8Array,
  bit: number,
  decode: (b: Uint8Array) => T,
  verify: (x: T) => { ok: boolean }
) {
  // A copy, not .slice(): in Node the encoder may return a Buffer, whose slice() is a view.
  const bad = new Uint8Array(bytes);
  bad[bit >> 3]! ^= 1 << (bit & 7);
  let value: T;
  try {
    value = decode(bad);
  } catch (e) {
    expect(e).toBeInstanceOf(CoreError);
    return;
  }
  expect(verify(value).ok).toBe(false);
}

describe('registration', () => {
  it('signed requests verify, and their subject is stable', () => {
    for (const r of signed) {
      expect(verifyRegistration(r).ok).toBe(true);
      const again = registrationCodec.decode(registrationCodec.encode(r));
      expect(verifyRegistration(again).ok).toBe(true);
      expect(bytesEqual(registrationSubject(again), registrationSubject(r))).toBe(true);
    }
    const subjects = new Set(signed.map((r) => registrationSubject(r).join()));
    expect(subjects.size).toBe(signed.length);
  });

  it('a patient request carries no name, age or diagnosis: unknown fields are refused', () => {
    const p = signed[0]!;
    expect(() => registrationCodec.parse({ ...p, name: 'Rahima' })).toThrowError(/decode\/schema/);
    const d = signed[1]!;
    if (d.role === 'doctor')
      expect(() => registrationCodec.parse({ ...p, profile: d.profile })).toThrowError(/decode\/schema/);
    expect(() =>
      signRegistration(
        {
          role: 'doctor',
          signingPublic: doctor.signingPublic,
          encryptionPublic: doctor.encryptionPublic,
          created: 0,
          profile: { name: 'X', speciality: 'Y', degree: 'Z', hospitalId: 'h', rank: 'chief' as 'intern' }
        },
        doctor.signingSeed
      )
    ).toThrowError(/decode\/schema/);
  });

  it('signed by another key, or altered after signing, it does not verify', () => {
    const r = signed[1]!;
    expect(verifyRegistration({ ...r, signingPublic: mgr.signingPublic }).ok).toBe(false);
    if (r.role === 'doctor')
      expect(verifyRegistration({ ...r, profile: { ...r.profile, rank: 'professor' } }).ok).toBe(false);
  });

  it('flipping any bit of a signed request fails', () => {
    for (const r of signed) {
      const bytes = registrationCodec.encode(r);
      fc.assert(
        fc.property(fc.nat(bytes.length * 8 - 1), (bit) =>
          flippedFails(bytes, bit, registrationCodec.decode, verifyRegistration)
        ),
        { numRuns: 1000 }
      );
    }
  });

  it('flipping any bit of a signed approval or recovery fails', () => {
    const a = approve(mgr.signingSeed, registrationSubject(signed[0]!));
    expect(verifyApproval(a).ok).toBe(true);
    const ab = approvalCodec.encode(a);
    fc.assert(
      fc.property(fc.nat(ab.length * 8 - 1), (bit) =>
        flippedFails(ab, bit, approvalCodec.decode, verifyApproval)
      ),
      { numRuns: 1000 }
    );
    const rec = signRecovery(
      {
        account: patient.signingPublic,
        newSigningPublic: fresh.signingPublic,
        newEncryptionPublic: fresh.encryptionPublic,
        created: 5
      },
      fresh.signingSeed
    );
    expect(verifyRecovery(rec).ok).toBe(true);
    const rb = recoveryCodec.encode(rec);
    fc.assert(
      fc.property(fc.nat(rb.length * 8 - 1), (bit) =>
        flippedFails(rb, bit, recoveryCodec.decode, verifyRecovery)
      ),
      { numRuns: 1000 }
    );
  });
});

describe('account codecs', () => {
  it('round-trip every encoded type', () => {
    fc.assert(
      fc.property(registrationArb, (r) => {
        expect(registrationCodec.decode(registrationCodec.encode(r))).toEqual(r);
      }),
      { numRuns: 1000 }
    );
    fc.assert(
      fc.property(approvalArb, (a) => {
        expect(approvalCodec.decode(approvalCodec.encode(a))).toEqual(a);
      }),
      { numRuns: 1000 }
    );
    fc.assert(
      fc.property(recoveryArb, (r) => {
        expect(recoveryCodec.decode(recoveryCodec.encode(r))).toEqual(r);
      }),
      { numRuns: 1000 }
    );
  });

  it('the largest valid registration fits its codec bound', () => {
    const wide = (n: number) => '\u0800'.repeat(n); // 3 UTF-8 bytes per UTF-16 unit: the worst case
    const r = signRegistration(
      {
        role: 'doctor',
        signingPublic: doctor.signingPublic,
        encryptionPublic: doctor.encryptionPublic,
        created: Number.MAX_SAFE_INTEGER,
        profile: {
          name: wide(128),
          speciality: wide(128),
          degree: wide(128),
          hospitalId: wide(256),
          rank: 'professor'
        }
      },
      doctor.signingSeed
    );
    expect(registrationCodec.decode(registrationCodec.encode(r))).toEqual(r);
    expect(() =>
      signRegistration(
        {
          role: 'manager',
          signingPublic: mgr.signingPublic,
          encryptionPublic: mgr.encryptionPublic,
          created: 0,
          name: wide(129)
        },
        mgr.signingSeed
      )
    ).toThrowError(/decode\/schema/);
  });

  it('decoding arbitrary bytes fails only with named errors', () => {
    for (const codec of [registrationCodec, approvalCodec, recoveryCodec, seedBackupCodec])
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          expect(() => codec.decode(bytes)).toThrow(CoreError);
        }),
        { numRuns: FUZZ_RUNS }
      );
  });
});
