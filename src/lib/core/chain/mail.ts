/**
 * Registry requests waiting for the managers: a registration or recovery the user signed, or a rank
 * or hospital change a manager proposed, with the approvals gathered so far. Approvals arrive one by
 * one, from managers who are rarely online together, so the nodes keep these posts in a mailbox
 * (src/lib/net/mailbox.ts) until a strict majority approved; then a node assembles the one consortium
 * transaction the chain rules check (rules/accounts.ts). The same post is what a requester or manager
 * sends, what nodes forward to each other and what a manager's app lists: one shape, parsed once.
 */
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import { defineCodec } from '../encoding/codec.js';
import { header, v } from '../encoding/schema.js';
import { fail, OK, type Verdict } from '../errors.js';
import { toHex } from '../crypto/hash.js';
import { ApprovalListSchema, tallyApprovals, type Approval } from '../accounts/approval.js';
import { RecoverySchema, recoverySubject, verifyRecovery } from '../accounts/recovery.js';
import { RegistrationSchema, registrationSubject, verifyRegistration } from '../accounts/registration.js';
import {
  changeSubject,
  hospitalChangeCodec,
  hospitalChangeSchema,
  makeRecoverTx,
  makeRegisterTx,
  rankChangeCodec,
  rankChangeSchema,
  recoverTxCodec,
  registerTxCodec
} from './tx/accounts.js';
import type { ConsortiumTx } from './tx/decode.js';

// A change as managers approve it: the transaction without its approvals.
const { approvals: _rankApprovals, ...rankBody } = rankChangeSchema.entries;
const { approvals: _hospitalApprovals, ...hospitalBody } = hospitalChangeSchema.entries;

export const MailBodySchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('registration'), request: RegistrationSchema }),
  v.strictObject({ kind: v.literal('recovery'), recovery: RecoverySchema }),
  v.strictObject({ kind: v.literal('rank'), change: v.strictObject(rankBody) }),
  v.strictObject({ kind: v.literal('hospital'), change: v.strictObject(hospitalBody) })
]);
export type MailBody = v.InferOutput<typeof MailBodySchema>;

export const MailPostSchema = v.strictObject({
  ...header(TAGS.mailPost),
  body: MailBodySchema,
  approvals: ApprovalListSchema
});
export type MailPost = v.InferOutput<typeof MailPostSchema>;
/** A registration (4 KiB at most) plus one approval per possible manager: the transaction's 16 KiB. */
export const mailPostCodec = defineCodec('mail-post', MailPostSchema, 16 * 1024);

/** Roles that register themselves; managers and hospitals enter through genesis and hospital changes. */
const SELF_REGISTERED = new Set(['patient', 'doctor', 'node']);

export function mailPost(body: MailBody, approvals: Approval[] = []): MailPost {
  return mailPostCodec.parse({ t: TAGS.mailPost, v: PROTOCOL_VERSION, body, approvals });
}

/** What the managers sign for this body: the same subject the chain rule checks. */
export function mailSubject(body: MailBody): Uint8Array {
  switch (body.kind) {
    case 'registration':
      return registrationSubject(body.request);
    case 'recovery':
      return recoverySubject(body.recovery);
    default:
      return changeSubject(body.change);
  }
}

/** The key a mailbox files a post under: its subject in hex. */
export const mailKey = (body: MailBody): string => toHex(mailSubject(body));

/**
 * Whether a post may enter a mailbox: a user's request must carry its own valid signature (proof the
 * sender holds the new key); a change must carry at least one manager's approval (only managers
 * propose changes); every approval must be a current manager's valid signature over this subject.
 */
export function checkMailPost(post: MailPost, managerSet: readonly Uint8Array[]): Verdict {
  const body = post.body;
  if (body.kind === 'registration') {
    if (!SELF_REGISTERED.has(body.request.role))
      return fail('account/wrong-role', { role: body.request.role });
    const sig = verifyRegistration(body.request);
    if (!sig.ok) return sig;
  } else if (body.kind === 'recovery') {
    const sig = verifyRecovery(body.recovery);
    if (!sig.ok) return sig;
  } else if (post.approvals.length === 0) {
    return fail('account/not-manager', { detail: 'a change needs a manager’s approval' });
  }
  const { rejected } = tallyApprovals(post.approvals, managerSet, mailSubject(body));
  return rejected.length ? { ok: false, error: rejected[0]!.error } : OK;
}

/** Adds the approvals of `post` that `held` lacks (same subject); `added` counts the new ones. */
export function mergeMail(held: MailPost | undefined, post: MailPost): { post: MailPost; added: number } {
  if (!held) return { post, added: post.approvals.length };
  const have = new Set(held.approvals.map((a) => toHex(a.manager)));
  const fresh = post.approvals.filter((a) => !have.has(toHex(a.manager)));
  return fresh.length
    ? { post: { ...held, approvals: [...held.approvals, ...fresh] }, added: fresh.length }
    : { post: held, added: 0 };
}

/** The consortium transaction the approvals make, once they are a strict majority; null before. */
export function assembleMailTx(post: MailPost, managerSet: readonly Uint8Array[]): Uint8Array | null {
  const { valid: found, majority } = tallyApprovals(post.approvals, managerSet, mailSubject(post.body));
  if (!majority) return null;
  // In key order, so every node holding the same approvals assembles the same bytes (one tx hash).
  const valid = found.sort((a, b) => (toHex(a.manager) < toHex(b.manager) ? -1 : 1));
  const body = post.body;
  switch (body.kind) {
    case 'registration':
      return registerTxCodec.encode(makeRegisterTx(body.request, valid));
    case 'recovery':
      return recoverTxCodec.encode(makeRecoverTx(body.recovery, valid));
    case 'rank':
      return rankChangeCodec.encode({ ...body.change, approvals: valid });
    case 'hospital':
      return hospitalChangeCodec.encode({ ...body.change, approvals: valid });
  }
}

/** The subject a committed registry transaction settles (its post leaves the mailbox); else null. */
export function settledSubject(tx: ConsortiumTx): Uint8Array | null {
  switch (tx.t) {
    case TAGS.txRegister:
      return registrationSubject(tx.request);
    case TAGS.txRecover:
      return recoverySubject(tx.recovery);
    case TAGS.rankChange:
    case TAGS.hospitalChange:
      return changeSubject(tx);
    default:
      return null;
  }
}

/** The requester's key of a user's request (the account it makes or rotates to), else null. */
export function mailRequester(body: MailBody): Uint8Array | null {
  if (body.kind === 'registration') return body.request.signingPublic;
  if (body.kind === 'recovery') return body.recovery.newSigningPublic;
  return null;
}
