/**
 * Consortium: the registry transactions, each carrying the approvals of a majority of system
 * managers. Registration and recovery wrap the user's own signed request (accounts/); rank changes
 * and hospital changes are decided by the managers alone, who approve the hash of the change.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { taggedHash } from '../../crypto/hash.js';
import { encodeCanonical } from '../../encoding/cbor.js';
import { defineCodec } from '../../encoding/codec.js';
import { header, id, publicKey, text, uint, v } from '../../encoding/schema.js';
import { ApprovalListSchema, type Approval } from '../../accounts/approval.js';
import { RankSchema } from '../../accounts/rank.js';
import { RecoverySchema, type Recovery } from '../../accounts/recovery.js';
import { RegistrationSchema, type Registration } from '../../accounts/registration.js';

export const registerTxSchema = v.strictObject({
  ...header(TAGS.txRegister),
  request: RegistrationSchema,
  approvals: ApprovalListSchema
});
export type RegisterTx = v.InferOutput<typeof registerTxSchema>;
/** A registration (2 KiB) plus up to maxManagers approvals of ~170 bytes: 16 KiB bounds it. */
export const registerTxCodec = defineCodec('register-tx', registerTxSchema, 16 * 1024);

export const recoverTxSchema = v.strictObject({
  ...header(TAGS.txRecover),
  recovery: RecoverySchema,
  approvals: ApprovalListSchema
});
export type RecoverTx = v.InferOutput<typeof recoverTxSchema>;
export const recoverTxCodec = defineCodec('recover-tx', recoverTxSchema, 16 * 1024);

export const rankChangeSchema = v.strictObject({
  ...header(TAGS.rankChange),
  doctor: publicKey,
  rank: RankSchema,
  /** Makes each decision distinct, so an old approved change cannot be replayed later. */
  time: uint(),
  approvals: ApprovalListSchema
});
export type RankChange = v.InferOutput<typeof rankChangeSchema>;
export const rankChangeCodec = defineCodec('rank-change', rankChangeSchema, 16 * 1024);

export const hospitalChangeSchema = v.strictObject({
  ...header(TAGS.hospitalChange),
  action: v.picklist(['add', 'remove']),
  hospital: id(),
  name: text(LIMITS.maxTextChars),
  authority: publicKey,
  authorityEncryption: publicKey,
  time: uint(),
  approvals: ApprovalListSchema
});
export type HospitalChange = v.InferOutput<typeof hospitalChangeSchema>;
export const hospitalChangeCodec = defineCodec('hospital-change', hospitalChangeSchema, 16 * 1024);

/** The hash managers approve for a rank or hospital change: the change without its approvals. */
export function changeSubject(
  tx: Omit<RankChange, 'approvals'> | Omit<HospitalChange, 'approvals'>
): Uint8Array {
  const rest: Record<string, unknown> = { ...tx };
  delete rest.approvals;
  return taggedHash(TAGS.approvalSubject, encodeCanonical(rest));
}

export function makeRegisterTx(request: Registration, approvals: Approval[]): RegisterTx {
  return registerTxCodec.parse({ t: TAGS.txRegister, v: PROTOCOL_VERSION, request, approvals });
}

export function makeRecoverTx(recovery: Recovery, approvals: Approval[]): RecoverTx {
  return recoverTxCodec.parse({ t: TAGS.txRecover, v: PROTOCOL_VERSION, recovery, approvals });
}

export function rankChangeBody(
  doctor: Uint8Array,
  rank: RankChange['rank'],
  time: number
): Omit<RankChange, 'approvals'> {
  return { t: TAGS.rankChange, v: PROTOCOL_VERSION, doctor: doctor as RankChange['doctor'], rank, time };
}

export function hospitalChangeBody(
  fields: Omit<HospitalChange, 't' | 'v' | 'approvals'>
): Omit<HospitalChange, 'approvals'> {
  return { t: TAGS.hospitalChange, v: PROTOCOL_VERSION, ...fields };
}
