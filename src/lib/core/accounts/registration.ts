/**
 * A registration request: made on the user's own device, signed by the new signing key (proof that
 * the requester holds it), carrying public keys only. The managers approve its hash (approval.ts);
 * the account exists once a majority has. What a request may say depends on the role:
 * - patient: nothing about the person — no name, age or diagnosis — only keys and a random pseudonym,
 *   the account's public handle on both chains;
 * - doctor: a public profile (name, speciality, degree, hospital, rank), which the patient's doctor
 *   directory shows;
 * - manager, hospital: a name (and the hospital's id);
 * - node: its hospital, what it does (validator | mirror | follower) and its libp2p peer id.
 */
import * as v from 'valibot';
import { ACCOUNT_LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { fail, OK, type Verdict } from '../errors.js';
import { defineCodec, signable } from '../encoding/codec.js';
import { header, id, uint } from '../encoding/schema.js';
import { sign, verifySignature } from '../crypto/ed25519.js';
import { taggedHash } from '../crypto/hash.js';
import type { Rng } from '../crypto/random.js';
import { fixedBytes, key32, sig64 } from './key-bytes.js';
import { RankSchema } from './rank.js';
import { NodeRoleSchema } from './roles.js';

const profileText = v.pipe(v.string(), v.minLength(1), v.maxLength(ACCOUNT_LIMITS.maxProfileChars));

const common = {
  ...header(TAGS.registration),
  signingPublic: key32,
  encryptionPublic: key32,
  /** When the request was made, ms since epoch: orders requests, lets managers expire stale ones. */
  created: uint(),
  sig: sig64
};

export const DoctorProfileSchema = v.strictObject({
  name: profileText,
  speciality: profileText,
  degree: profileText,
  hospitalId: id(),
  rank: RankSchema
});
export type DoctorProfile = v.InferOutput<typeof DoctorProfileSchema>;

export const RegistrationSchema = v.variant('role', [
  v.strictObject({
    ...common,
    role: v.literal('patient'),
    pseudonym: fixedBytes(ACCOUNT_LIMITS.pseudonymBytes)
  }),
  v.strictObject({ ...common, role: v.literal('doctor'), profile: DoctorProfileSchema }),
  v.strictObject({ ...common, role: v.literal('manager'), name: profileText }),
  v.strictObject({ ...common, role: v.literal('hospital'), hospitalId: id(), name: profileText }),
  v.strictObject({
    ...common,
    role: v.literal('node'),
    hospitalId: id(),
    nodeRole: NodeRoleSchema,
    peerId: id()
  })
]);
export type Registration = v.InferOutput<typeof RegistrationSchema>;

/** A registration's fields before signing (`t` and `v` are filled in). */
export type RegistrationFields = Registration extends infer R
  ? R extends Registration
    ? Omit<R, 't' | 'v' | 'sig'>
    : never
  : never;

/**
 * The largest valid registration — a doctor with three 128-unit profile lines and a 256-unit hospital
 * id at 3 UTF-8 bytes per UTF-16 unit, plus keys and signature — is about 2.1 KiB; 4 KiB bounds it.
 */
export const registrationCodec = defineCodec('registration', RegistrationSchema, 4096);

const NO_SIG = new Uint8Array(64);

export function newPseudonym(rng: Rng): Uint8Array {
  return rng(ACCOUNT_LIMITS.pseudonymBytes);
}

export function signRegistration(fields: RegistrationFields, signingSeed: Uint8Array): Registration {
  // Validate before signing: a user never signs something every node would refuse.
  const req = registrationCodec.parse({ ...fields, t: TAGS.registration, v: PROTOCOL_VERSION, sig: NO_SIG });
  return { ...req, sig: sign(signingSeed, signable(req)) };
}

export function verifyRegistration(req: Registration): Verdict {
  if (!verifySignature(req.signingPublic, signable(req), req.sig))
    return fail('crypto/bad-signature', { type: 'registration' });
  return OK;
}

/** The hash managers approve: domain-separated, over the whole signed request. */
export function registrationSubject(req: Registration): Uint8Array {
  return taggedHash(TAGS.approvalSubject, registrationCodec.encode(req));
}
