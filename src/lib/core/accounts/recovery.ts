/**
 * Account recovery: rotate an account from its old keys to new ones when the old device is lost.
 * The request is made on the new device and signed by the NEW signing key (the old one is gone);
 * what makes it legitimate is a majority of managers approving `recoverySubject(req)` with the same
 * approvals as registrations (approval.ts). Once applied, the old key is revoked: anything signed by
 * it afterwards is refused (`account/revoked`, enforced by the chain). Access to old records comes
 * back only through the optional seed backup (seed-backup.ts).
 */
import * as v from 'valibot';
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import { fail, OK, type Verdict } from '../errors.js';
import { bytesEqual } from '../encoding/cbor.js';
import { defineCodec, signable } from '../encoding/codec.js';
import { header, uint } from '../encoding/schema.js';
import { sign, verifySignature } from '../crypto/ed25519.js';
import { taggedHash } from '../crypto/hash.js';
import { key32, sig64 } from './key-bytes.js';

export const RecoverySchema = v.strictObject({
  ...header(TAGS.recovery),
  /** The account's current (lost) signing public key: what the registry knows the account by. */
  account: key32,
  newSigningPublic: key32,
  newEncryptionPublic: key32,
  /** ms since epoch, as stated by the requester. */
  created: uint(),
  /** By the new signing key. */
  sig: sig64
});
export type Recovery = v.InferOutput<typeof RecoverySchema>;
export type RecoveryFields = Omit<Recovery, 't' | 'v' | 'sig'>;

/** Three keys, a time and a signature: ~250 bytes; 512 bounds it. */
export const recoveryCodec = defineCodec('recovery', RecoverySchema, 512);

export function signRecovery(fields: RecoveryFields, newSigningSeed: Uint8Array): Recovery {
  const req = recoveryCodec.parse({
    ...fields,
    t: TAGS.recovery,
    v: PROTOCOL_VERSION,
    sig: new Uint8Array(64)
  });
  return { ...req, sig: sign(newSigningSeed, signable(req)) };
}

export function verifyRecovery(req: Recovery): Verdict {
  if (bytesEqual(req.account, req.newSigningPublic)) return fail('account/same-key');
  if (!verifySignature(req.newSigningPublic, signable(req), req.sig))
    return fail('crypto/bad-signature', { type: 'recovery' });
  return OK;
}

/** The hash managers approve for this recovery. */
export function recoverySubject(req: Recovery): Uint8Array {
  return taggedHash(TAGS.approvalSubject, recoveryCodec.encode(req));
}
