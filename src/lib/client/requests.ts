/**
 * Registration and recovery requests as the new account shows them to the managers: core signs the
 * request with the new key (proof the requester holds it); the app carries it as text
 * `carechain:<kind>:<base64url of the canonical bytes>` — short enough for one QR code, and the same
 * text is the downloadable file. Managers open that text here too: parsed strictly by core's codec,
 * signature checked, before anything is shown or approved.
 */
import {
  approvalCodec,
  approve,
  recoveryCodec,
  recoverySubject,
  registrationCodec,
  registrationSubject,
  signRecovery,
  signRegistration,
  verifyRecovery,
  verifyRegistration,
  isRank,
  type Rank,
  type DoctorProfile,
  type Recovery,
  type Registration
} from '../core/accounts/index.js';
import { fromBase64url, toBase64url } from '../core/consent/index.js';
import { deriveAccountKeys, fromHex, toHex } from '../core/crypto/index.js';
import { CoreError, isCoreError } from '../core/errors.js';
import {
  changeSubject,
  hospitalChangeBody,
  rankChangeBody,
  type HospitalChange
} from '../core/chain/tx/accounts.js';
import type { StoredAccount } from './stored.js';

type HospitalChangeKey = HospitalChange['authority'];
import type { OutboxAction } from './outbox.js';

const PREFIX = 'carechain:';
/** A registration is at most 2 KiB (core's limit); as base64url text that is under 3,000 characters. */
export const MAX_REQUEST_CHARS = 3000;

export type SignedRequest =
  { kind: 'registration'; value: Registration } | { kind: 'recovery'; value: Recovery };

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

export function requestText(req: SignedRequest): string {
  const bytes =
    req.kind === 'registration' ? registrationCodec.encode(req.value) : recoveryCodec.encode(req.value);
  return `${PREFIX}${req.kind}:${toBase64url(bytes)}`;
}

/** Parses a request a manager scanned, pasted or opened as a file; only a correctly signed request passes. */
export function parseRequestText(text: string): SignedRequest {
  const trimmed = text.trim();
  if (trimmed.length > MAX_REQUEST_CHARS) throw new CoreError('decode/too-large', { type: 'request' });
  const m = /^carechain:(registration|recovery):([A-Za-z0-9_-]+)$/.exec(trimmed);
  if (!m) throw new CoreError('decode/schema', { type: 'request', detail: 'not a carechain request' });
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(m[2]!);
  } catch (e) {
    if (isCoreError(e)) throw e;
    throw new CoreError('decode/malformed', { type: 'request' });
  }
  if (m[1] === 'registration') {
    const value = registrationCodec.decode(bytes);
    const verdict = verifyRegistration(value);
    if (!verdict.ok) throw verdict.error;
    return { kind: 'registration', value };
  }
  const value = recoveryCodec.decode(bytes);
  const verdict = verifyRecovery(value);
  if (!verdict.ok) throw verdict.error;
  return { kind: 'recovery', value };
}

export function requestSubject(req: SignedRequest): Uint8Array {
  return req.kind === 'registration' ? registrationSubject(req.value) : recoverySubject(req.value);
}

/** The outbox action that submits a request (its own signature is all it needs). */
export function requestAction(req: SignedRequest): OutboxAction {
  const bytes =
    req.kind === 'registration' ? registrationCodec.encode(req.value) : recoveryCodec.encode(req.value);
  const text = req.kind === 'registration' ? req.value.role : 'recovery';
  return { kind: req.kind, bytes, summary: { text, subject: toHex(requestSubject(req)) } };
}

/** A manager's approval of a request, signed now and ready for the outbox. */
export function approvalAction(managerSeed: Uint8Array, req: SignedRequest): OutboxAction {
  const subject = requestSubject(req);
  const approval = approve(deriveAccountKeys(managerSeed).signingSeed, subject);
  return {
    kind: 'approval',
    bytes: approvalCodec.encode(approval),
    summary: { text: req.kind, subject: toHex(subject) }
  };
}

/**
 * A manager's approval of a rank change. The change itself (doctor, rank, time) travels in the summary
 * so the network can gather the other managers' approvals of the same subject into one transaction.
 */
export function rankApprovalAction(
  managerSeed: Uint8Array,
  doctorHex: string,
  rank: Rank,
  time: number
): OutboxAction {
  if (!/^[0-9a-f]{64}$/.test(doctorHex)) throw new CoreError('crypto/bad-key', { detail: 'doctor key' });
  if (!isRank(rank)) throw new CoreError('account/bad-rank', { rank });
  const subject = changeSubject(rankChangeBody(fromHex(doctorHex), rank, time));
  const approval = approve(deriveAccountKeys(managerSeed).signingSeed, subject);
  return {
    kind: 'rank',
    bytes: approvalCodec.encode(approval),
    summary: {
      text: `${doctorHex.slice(0, 12)}… → ${rank}`,
      doctor: doctorHex,
      rank,
      time,
      subject: toHex(subject)
    }
  };
}

/** A manager's approval of adding a hospital (its authority keys come from the hospital's own node). */
export function hospitalApprovalAction(
  managerSeed: Uint8Array,
  fields: { hospital: string; name: string; authority: string; authorityEncryption: string },
  time: number
): OutboxAction {
  for (const k of [fields.authority, fields.authorityEncryption])
    if (!/^[0-9a-f]{64}$/.test(k)) throw new CoreError('crypto/bad-key', { detail: 'authority key' });
  const body = hospitalChangeBody({
    action: 'add',
    hospital: fields.hospital,
    name: fields.name,
    authority: fromHex(fields.authority) as HospitalChangeKey,
    authorityEncryption: fromHex(fields.authorityEncryption) as HospitalChangeKey,
    time
  });
  const subject = changeSubject(body);
  const approval = approve(deriveAccountKeys(managerSeed).signingSeed, subject);
  return {
    kind: 'hospital',
    bytes: approvalCodec.encode(approval),
    summary: { text: fields.name, ...fields, time, subject: toHex(subject) }
  };
}
