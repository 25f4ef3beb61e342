/**
 * Manager approvals. A manager approves a subject — the hash of a registration, recovery or other
 * registry request — by signing it. `checkMajority` is what every validator runs before an account,
 * rank or recovery takes effect: strictly more than half of the distinct registered managers, each
 * with a valid signature over this very subject. It is strict: a set carrying anything an honest
 * assembler would have left out (a non-manager, a duplicate, a bad signature, another subject) is
 * refused whole, with the error naming the first offender. Assemblers filter with `tallyApprovals`.
 */
import * as v from 'valibot';
import { ACCOUNT_LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError, fail, OK, type Verdict } from '../errors.js';
import { bytesEqual } from '../encoding/cbor.js';
import { defineCodec, signable } from '../encoding/codec.js';
import { header } from '../encoding/schema.js';
import { sign, signingPublicKey, verifySignature } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hash.js';
import { hash32, key32, sig64 } from './key-bytes.js';

export const ApprovalSchema = v.strictObject({
  ...header(TAGS.approval),
  /** The approving manager's signing public key. */
  manager: key32,
  /** What is approved: e.g. `registrationSubject(req)` or `recoverySubject(req)`. */
  subject: hash32,
  sig: sig64
});
export type Approval = v.InferOutput<typeof ApprovalSchema>;

/** One approval is ~150 bytes of CBOR; 256 bytes bounds it. */
export const approvalCodec = defineCodec('approval', ApprovalSchema, 256);

/** A list of approvals, as a transaction carries it: at most one per possible manager. */
export const ApprovalListSchema = v.pipe(v.array(ApprovalSchema), v.maxLength(ACCOUNT_LIMITS.maxManagers));

export function approve(managerSigningSeed: Uint8Array, subject: Uint8Array): Approval {
  const unsigned = {
    t: TAGS.approval,
    v: PROTOCOL_VERSION,
    manager: signingPublicKey(managerSigningSeed),
    subject,
    sig: new Uint8Array(64)
  };
  const a = approvalCodec.parse(unsigned);
  return { ...a, sig: sign(managerSigningSeed, signable(a)) };
}

export function verifyApproval(a: Approval): Verdict {
  if (!verifySignature(a.manager, signable(a), a.sig))
    return fail('crypto/bad-signature', { type: 'approval' });
  return OK;
}

/** Smallest number of approvals that is strictly more than half of `managers`. */
export function majorityOf(managers: number): number {
  return Math.floor(managers / 2) + 1;
}

function managerKeys(managerSet: readonly Uint8Array[]): Set<string> {
  return new Set(managerSet.map((k) => toHex(k)));
}

function checkOne(a: Approval, managers: Set<string>, seen: Set<string>, subject: Uint8Array): Verdict {
  const who = toHex(a.manager);
  if (!bytesEqual(a.subject, subject)) return fail('account/wrong-subject', { manager: who });
  if (!managers.has(who)) return fail('account/not-manager', { manager: who });
  if (seen.has(who)) return fail('account/duplicate-approval', { manager: who });
  return verifyApproval(a);
}

export function checkMajority(
  approvals: readonly Approval[],
  managerSet: readonly Uint8Array[],
  subjectHash: Uint8Array
): Verdict {
  const managers = managerKeys(managerSet);
  const seen = new Set<string>();
  // Stops at the first offender, so at most |managers| + 1 signatures are ever checked.
  for (const a of approvals) {
    const verdict = checkOne(a, managers, seen, subjectHash);
    if (!verdict.ok) return verdict;
    seen.add(toHex(a.manager));
  }
  const need = majorityOf(managers.size);
  if (seen.size < need)
    return fail('account/not-majority', { have: seen.size, need, managers: managers.size });
  return OK;
}

/** Sort a pile of approvals into those that count for `subjectHash` and those that do not, and why. */
export function tallyApprovals(
  approvals: readonly Approval[],
  managerSet: readonly Uint8Array[],
  subjectHash: Uint8Array
): { valid: Approval[]; rejected: { approval: Approval; error: CoreError }[]; majority: boolean } {
  const managers = managerKeys(managerSet);
  const seen = new Set<string>();
  const valid: Approval[] = [];
  const rejected: { approval: Approval; error: CoreError }[] = [];
  for (const a of approvals) {
    const verdict = checkOne(a, managers, seen, subjectHash);
    if (verdict.ok) {
      seen.add(toHex(a.manager));
      valid.push(a);
    } else rejected.push({ approval: a, error: verdict.error });
  }
  return { valid, rejected, majority: valid.length >= majorityOf(managers.size) };
}
