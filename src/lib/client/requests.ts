/**
 * Registration and recovery requests as the new account shows them to the managers: core signs the
 * request with the new key (proof the requester holds it); the app carries it as text
 * (core/accounts/request-text.ts) — short enough for one QR code, and the same text is the downloadable
 * file. Managers open that text here too, parsed strictly and signature checked by core.
 */
import {
  approve,
  recoverySubject,
  registrationSubject,
  signRecovery,
  signRegistration,
  isRank,
  type Rank,
  type DoctorProfile
} from '../core/accounts/index.js';
import { MAX_REQUEST_CHARS, parseRequestText, type SignedRequest } from '../core/accounts/request-text.js';
import { fromBase64url, toBase64url } from '../core/consent/base64url.js';
import { deriveAccountKeys, fromHex, toHex } from '../core/crypto/index.js';
import { CoreError } from '../core/errors.js';
import { hospitalChangeBody, rankChangeBody, type HospitalChange } from '../core/chain/tx/accounts.js';
import { mailPost, mailPostCodec, mailSubject, type MailBody } from '../core/chain/mail.js';
import type { StoredAccount } from './stored.js';

export {
  MAX_REQUEST_CHARS,
  parseRequestText,
  requestText,
  type SignedRequest
} from '../core/accounts/request-text.js';

type HospitalChangeKey = HospitalChange['authority'];
import type { OutboxAction } from './outbox.js';

export function signRequest(
  account: StoredAccount,
  seed: Uint8Array,
  opts: { now: number; profile?: DoctorProfile; name?: string; replaces?: string }
): SignedRequest {
  const keys = deriveAccountKeys(seed);
  if (opts.replaces) {
    if (!/^[0-9a-f]{64}$/.test(opts.replaces))
      throw new CoreError('crypto/bad-key', { detail: 'old public key' });
    const value = signRecovery(
      {
        account: fromHex(opts.replaces),
        newSigningPublic: keys.signingPublic,
        newEncryptionPublic: keys.encryptionPublic,
        created: opts.now
      } as Parameters<typeof signRecovery>[0],
      keys.signingSeed
    );
    return { kind: 'recovery', value };
  }
  const common = {
    signingPublic: keys.signingPublic,
    encryptionPublic: keys.encryptionPublic,
    created: opts.now
  };
  const fields =
    account.role === 'patient'
      ? { ...common, role: 'patient' as const, pseudonym: account.pseudonym }
      : account.role === 'doctor'
        ? { ...common, role: 'doctor' as const, profile: opts.profile }
        : { ...common, role: 'manager' as const, name: opts.name || account.label };
  return {
    kind: 'registration',
    value: signRegistration(fields as Parameters<typeof signRegistration>[0], keys.signingSeed)
  };
}

export function requestSubject(req: SignedRequest): Uint8Array {
  return req.kind === 'registration' ? registrationSubject(req.value) : recoverySubject(req.value);
}

/** The mailbox body of a user's request. */
export function requestBody(req: SignedRequest): MailBody {
  return req.kind === 'registration'
    ? { kind: 'registration', request: req.value }
    : { kind: 'recovery', recovery: req.value };
}

/**
 * The outbox action that posts a request to the nodes' mailbox (src/lib/light/mailbox.ts), where it
 * waits for the managers; its own signature is all it needs.
 */
export function requestAction(req: SignedRequest): OutboxAction {
  const text = req.kind === 'registration' ? req.value.role : 'recovery';
  return {
    kind: req.kind,
    bytes: mailPostCodec.encode(mailPost(requestBody(req))),
    summary: { text, subject: toHex(requestSubject(req)) }
  };
}

/** A manager's approval of a body waiting in the mailbox, as the post that carries it. */
function approvalPost(managerSeed: Uint8Array, body: MailBody): { bytes: Uint8Array; subject: string } {
  const subject = mailSubject(body);
  const approval = approve(deriveAccountKeys(managerSeed).signingSeed, subject);
  return { bytes: mailPostCodec.encode(mailPost(body, [approval])), subject: toHex(subject) };
}

/** A manager's approval of a request, signed now and ready for the outbox. */
export function approvalAction(managerSeed: Uint8Array, req: SignedRequest): OutboxAction {
  const { bytes, subject } = approvalPost(managerSeed, requestBody(req));
  return { kind: 'approval', bytes, summary: { text: req.kind, subject } };
}

/** A manager's approval of a rank change: the change itself travels with it, for the others to approve. */
export function rankApprovalAction(
  managerSeed: Uint8Array,
  doctorHex: string,
  rank: Rank,
  time: number
): OutboxAction {
  if (!/^[0-9a-f]{64}$/.test(doctorHex)) throw new CoreError('crypto/bad-key', { detail: 'doctor key' });
  if (!isRank(rank)) throw new CoreError('account/bad-rank', { rank });
  const change = rankChangeBody(fromHex(doctorHex), rank, time);
  const { bytes, subject } = approvalPost(managerSeed, { kind: 'rank', change });
  return { kind: 'rank', bytes, summary: { text: `${doctorHex.slice(0, 12)}… → ${rank}`, subject } };
}

/** A manager's approval of adding a hospital (its authority keys come from the hospital's own node). */
export function hospitalApprovalAction(
  managerSeed: Uint8Array,
  fields: { hospital: string; name: string; authority: string; authorityEncryption: string },
  time: number
): OutboxAction {
  for (const k of [fields.authority, fields.authorityEncryption])
    if (!/^[0-9a-f]{64}$/.test(k)) throw new CoreError('crypto/bad-key', { detail: 'authority key' });
  const change = hospitalChangeBody({
    action: 'add',
    hospital: fields.hospital,
    name: fields.name,
    authority: fromHex(fields.authority) as HospitalChangeKey,
    authorityEncryption: fromHex(fields.authorityEncryption) as HospitalChangeKey,
    time
  });
  const { bytes, subject } = approvalPost(managerSeed, { kind: 'hospital', change });
  return { kind: 'hospital', bytes, summary: { text: fields.name, subject } };
}

const CHANGE_PREFIX = 'carechain:change:';

/**
 * A rank or hospital change a manager proposed, as the other managers' apps list it from the mailbox:
 * they approve the very same change (its `time` included), so the approvals add up to a majority.
 * `text` carries the change (`carechain:change:<base64url of the mail post, no approvals>`).
 */
export function pendingChange(body: MailBody): {
  kind: 'rank' | 'hospital';
  role: 'doctor' | 'hospital';
  details: Record<string, string>;
  submittedAt: number;
  text: string;
} | null {
  if (body.kind !== 'rank' && body.kind !== 'hospital') return null;
  const text = CHANGE_PREFIX + toBase64url(mailPostCodec.encode(mailPost(body)));
  const short = (k: Uint8Array) => toHex(k).slice(0, 16) + '…';
  return body.kind === 'rank'
    ? {
        kind: 'rank',
        role: 'doctor',
        details: { doctor: short(body.change.doctor), newRank: body.change.rank },
        submittedAt: body.change.time,
        text
      }
    : {
        kind: 'hospital',
        role: 'hospital',
        details: {
          hospitalId: body.change.hospital,
          hospitalName: body.change.name,
          authority: short(body.change.authority)
        },
        submittedAt: body.change.time,
        text
      };
}

/** A manager's approval of what the pending list shows: a user's request, or another manager's change. */
export function listedApprovalAction(managerSeed: Uint8Array, text: string): OutboxAction {
  if (!text.startsWith(CHANGE_PREFIX)) return approvalAction(managerSeed, parseRequestText(text));
  if (text.length > MAX_REQUEST_CHARS) throw new CoreError('decode/too-large', { type: 'change' });
  const body = mailPostCodec.decode(fromBase64url(text.slice(CHANGE_PREFIX.length))).body;
  if (body.kind !== 'rank' && body.kind !== 'hospital')
    throw new CoreError('decode/schema', { type: 'change', detail: body.kind });
  const { bytes, subject } = approvalPost(managerSeed, body);
  return { kind: 'approval', bytes, summary: { text: body.kind, subject } };
}

/** A request as a manager's app lists it from the mailbox: its text form opens and approves it. */
export function requestFromBody(body: MailBody): SignedRequest | null {
  if (body.kind === 'registration') return { kind: 'registration', value: body.request };
  if (body.kind === 'recovery') return { kind: 'recovery', value: body.recovery };
  return null;
}

/** The public facts a request shows a manager: a doctor's profile, the account a recovery rotates. */
export function requestDetails(r: SignedRequest): Record<string, string> {
  const short = (k: Uint8Array) => toHex(k).slice(0, 16) + '…';
  if (r.kind === 'recovery') return { account: short(r.value.account), key: short(r.value.newSigningPublic) };
  const v = r.value;
  const key = short(v.signingPublic);
  if (v.role === 'doctor')
    return { key, ...Object.fromEntries(Object.entries(v.profile).map(([k, x]) => [k, String(x)])) };
  if (v.role === 'manager' || v.role === 'hospital') return { key, name: v.name };
  if (v.role === 'node') return { key, hospitalId: v.hospitalId, nodeRole: v.nodeRole, peerId: v.peerId };
  return { key };
}
