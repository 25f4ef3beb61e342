/**
 * Writes tests/vectors/accounts.json: registration requests (patient and doctor) checked by their
 * signature after strict decoding, and the manager-majority rule over approval sets — a strict
 * majority passes; exactly half, a non-manager, a duplicate, a forged signature or another subject
 * does not. Deterministic (seeded); invalid cases state their error by hand.
 * Run: npx tsx tests/vectors/generate-accounts.ts
 */
import { encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { seededRng } from '../../src/lib/core/crypto/random.js';
import { toHex } from '../../src/lib/core/crypto/hash.js';
import { deriveAccountKeys } from '../../src/lib/core/crypto/keys.js';
import {
  newPseudonym,
  registrationCodec,
  registrationSubject,
  signRegistration
} from '../../src/lib/core/accounts/registration.js';
import { approvalCodec, approve } from '../../src/lib/core/accounts/approval.js';
import type { VectorCase } from './runner.js';
import { finish, writeVectors } from './generate-support.js';

const rng = seededRng(5150);
const hex = (b: Uint8Array) => toHex(b);
const T0 = 1_767_225_600_000; // 2026-01-01

const patient = deriveAccountKeys(rng(32));
const doctor = deriveAccountKeys(rng(32));
const managers = Array.from({ length: 5 }, () => deriveAccountKeys(rng(32)));
const outsider = deriveAccountKeys(rng(32));

const patientReq = signRegistration(
  {
    role: 'patient',
    signingPublic: patient.signingPublic,
    encryptionPublic: patient.encryptionPublic,
    created: T0,
    pseudonym: newPseudonym(rng)
  },
  patient.signingSeed
);
const profile = {
  name: 'ডা. ফারহানা রহমান', // Bangla: the profile is full Unicode
  speciality: 'Endocrinology',
  degree: 'MBBS, FCPS',
  hospitalId: 'dhaka-general',
  rank: 'consultant'
} as const;
const doctorReq = signRegistration(
  {
    role: 'doctor',
    signingPublic: doctor.signingPublic,
    encryptionPublic: doctor.encryptionPublic,
    created: T0 + 1,
    profile
  },
  doctor.signingSeed
);
const subject = registrationSubject(doctorReq);
const otherSubject = registrationSubject(patientReq);
const ap = (m: { signingSeed: Uint8Array }, s = subject) =>
  hex(approvalCodec.encode(approve(m.signingSeed, s)));
const managerKeys = managers.map((m) => hex(m.signingPublic));
const [m0, m1, m2, m3] = managers as [typeof patient, typeof patient, typeof patient, typeof patient];
const forged = approve(m2.signingSeed, subject);
forged.sig[5]! ^= 0x10;

const reg = (name: string, bytes: Uint8Array | string, expect: Record<string, unknown> = {}): VectorCase => ({
  name,
  kind: 'registration-verify',
  input: { registration: typeof bytes === 'string' ? bytes : hex(bytes) },
  expect
});
const majority = (
  name: string,
  approvals: string[],
  expect: Record<string, unknown>,
  set: string[] = managerKeys
): VectorCase => ({
  name,
  kind: 'approvals-majority',
  input: { approvals, managers: set, subject: hex(subject) },
  expect
});

const accounts = finish('Accounts: registration requests and the manager-majority rule', [
  reg('patient registration (keys and a pseudonym only)', registrationCodec.encode(patientReq)),
  reg('doctor registration with a Bangla name', registrationCodec.encode(doctorReq)),
  reg(
    'doctor registration whose rank was raised after signing',
    encodeCanonical({ ...doctorReq, profile: { ...profile, rank: 'professor' } }),
    { error: 'crypto/bad-signature' }
  ),
  reg(
    'patient registration carrying a name (not allowed for patients)',
    encodeCanonical({ ...patientReq, name: 'Rahima Begum' }),
    { error: 'decode/schema' }
  ),
  reg('registration with an unknown role', encodeCanonical({ ...patientReq, role: 'admin' }), {
    error: 'decode/schema'
  }),
  majority('3 of 5 managers approve: a majority', [ap(m0), ap(m2), ap(m3)], { valid: true }),
  majority(
    '2 of 4 managers approve: exactly half is not a majority',
    [ap(m0), ap(m1)],
    {
      error: 'account/not-majority'
    },
    managerKeys.slice(0, 4)
  ),
  majority(
    '3 of 4 managers approve: a majority',
    [ap(m1), ap(m3), ap(m0)],
    { valid: true },
    managerKeys.slice(0, 4)
  ),
  majority('an approval from someone who is not a manager', [ap(m0), ap(m1), ap(outsider), ap(m2)], {
    error: 'account/not-manager'
  }),
  majority('the same manager approving twice', [ap(m0), ap(m1), ap(m1)], {
    error: 'account/duplicate-approval'
  }),
  majority('an approval with a forged signature', [ap(m0), ap(m1), hex(approvalCodec.encode(forged))], {
    error: 'crypto/bad-signature'
  }),
  majority('an approval of a different request', [ap(m0), ap(m1), ap(m3, otherSubject)], {
    error: 'account/wrong-subject'
  }),
  majority('no approvals at all', [], { error: 'account/not-majority' })
]);

writeVectors('accounts', accounts);
