/**
 * Consortium: consent grants and revocations. The grant transaction carries the patient's signed grant
 * and its write commitments (../commit.ts); the grant signs their root (`writeRoot`), so validators
 * check the list against it and nobody — the doctor who submits it included — can add a commitment
 * for a tag the patient did not choose. No second patient signature: the QR the patient shows is
 * enough for the doctor to put the grant on chain (the doctor rebuilds the list with openGrantCaps).
 * Revocations go on chain as the patient signed them.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { defineCodec } from '../../encoding/codec.js';
import { hash32, header, list, v } from '../../encoding/schema.js';
import { grantSchema, MAX_GRANT_BYTES, type Grant } from '../../consent/grant.js';
import { revocationSchema } from '../../consent/revocation.js';

export const grantTxSchema = v.strictObject({
  ...header(TAGS.txGrant),
  grant: grantSchema,
  /** Sorted, unique; their writeRoot is the grant's signed `writeRoot`; empty without write scope. */
  writeCommits: list(hash32, CHAIN_LIMITS.maxWriteCommits)
});
export type GrantTx = v.InferOutput<typeof grantTxSchema>;
export const grantTxCodec = defineCodec('grant-tx', grantTxSchema, MAX_GRANT_BYTES + 2 * 1024);

/** The grant transaction anyone holding the grant (and, for write scope, its commitments) can submit. */
export function makeGrantTx(grant: Grant, writeCommits: readonly Uint8Array[]): GrantTx {
  return grantTxCodec.parse({ t: TAGS.txGrant, v: PROTOCOL_VERSION, grant, writeCommits });
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
