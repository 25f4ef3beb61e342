/**
 * The revocation: a patient's signed withdrawal of consent, either of one grant (named by its id) or
 * of every grant to one doctor. Its `seq` comes from the same per-patient counter as grants; the
 * precedence rule built on it lives in precedence.ts.
 */
import { v, hash32, header, publicKey, signature, uint } from '../encoding/schema.js';
import { defineCodec, signable } from '../encoding/codec.js';
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError, isCoreError } from '../errors.js';
import { sha256 } from '../crypto/hash.js';
import { sign } from '../crypto/ed25519.js';
import { deriveAccountKeys } from '../crypto/keys.js';

/** A revocation is ~200 bytes; 512 leaves slack without letting a hostile one grow. */
export const MAX_REVOCATION_BYTES = 512;

export const revocationSchema = v.strictObject({
  ...header(TAGS.revocation),
  patient: publicKey,
  /** 'grant': `target` is a grant id; 'doctor': `target` is the doctor's signing public key. */
  by: v.picklist(['grant', 'doctor']),
  target: hash32,
  seq: uint(),
  /** When the patient revoked (ms since epoch); shown in the patient's access history. */
  time: uint(),
  sig: signature
});

export type Revocation = v.InferOutput<typeof revocationSchema>;

export const revocationCodec = defineCodec('revocation', revocationSchema, MAX_REVOCATION_BYTES);

export type RevocationTarget = { grant: Uint8Array } | { doctor: Uint8Array };

export interface CreateRevocationInput {
  /** The patient's 32-byte account seed. */
  seed: Uint8Array;
  target: RevocationTarget;
  seq: number;
  time: number;
}

export function createRevocation(input: CreateRevocationInput): Revocation {
  const keys = deriveAccountKeys(input.seed);
  const [by, target] =
    'grant' in input.target
      ? (['grant', input.target.grant] as const)
      : (['doctor', input.target.doctor] as const);
  const unsigned = {
    t: TAGS.revocation,
    v: PROTOCOL_VERSION,
    patient: keys.signingPublic,
    by,
    target,
    seq: input.seq,
    time: input.time
  };
  try {
    return revocationCodec.parse({
      ...unsigned,
      sig: sign(keys.signingSeed, signable({ ...unsigned, sig: undefined }))
    });
  } catch (e) {
    if (isCoreError(e)) throw new CoreError('consent/malformed', { detail: e.message });
    throw e;
  }
}

export function revocationId(rev: Revocation): Uint8Array {
  return sha256(revocationCodec.encode(rev));
}
