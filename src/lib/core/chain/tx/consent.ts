/**
 * Consortium: consent grants and revocations. The grant transaction wraps the patient's grant with the
 * write commitments (../commit.ts), signed by the patient again so nobody — the doctor who submits it
 * included — can add a commitment for a tag the patient did not choose. Revocations go on chain as
 * the patient signed them.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { defineCodec, signable } from '../../encoding/codec.js';
import { signBytes } from '../bytes.js';
import { hash32, header, list, signature, v } from '../../encoding/schema.js';
import { grantSchema, MAX_GRANT_BYTES, type Grant } from '../../consent/grant.js';
import { revocationSchema } from '../../consent/revocation.js';

export const grantTxSchema = v.strictObject({
  ...header(TAGS.txGrant),
  grant: grantSchema,
  /** Sorted, unique; empty unless the grant has write scope. */
  writeCommits: list(hash32, CHAIN_LIMITS.maxWriteCommits),
  /** By grant.patient over signable(this tx). */
  sig: signature
});
export type GrantTx = v.InferOutput<typeof grantTxSchema>;
export const grantTxCodec = defineCodec('grant-tx', grantTxSchema, MAX_GRANT_BYTES + 2 * 1024);

export function createGrantTx(
  patientSigningSeed: Uint8Array,
  grant: Grant,
  writeCommits: Uint8Array[]
): GrantTx {
  const unsigned = { t: TAGS.txGrant, v: PROTOCOL_VERSION, grant, writeCommits };
  return grantTxCodec.parse({ ...unsigned, sig: sign(patientSigningSeed, signBytes(unsigned)) });
}

export function grantTxSignatureValid(tx: GrantTx): boolean {
  return verifySignature(tx.grant.patient, signable(tx), tx.sig);
}

export const revokeTxSchema = v.strictObject({
  ...header(TAGS.txRevoke),
  revocation: revocationSchema
});
export type RevokeTx = v.InferOutput<typeof revokeTxSchema>;
export const revokeTxCodec = defineCodec('revoke-tx', revokeTxSchema, 1024);

export function makeRevokeTx(revocation: RevokeTx['revocation']): RevokeTx {
  return revokeTxCodec.parse({ t: TAGS.txRevoke, v: PROTOCOL_VERSION, revocation });
}
