/** Reads of consortium state that both chains' rules need. */
import { bytesEqual } from '../../encoding/cbor.js';
import { concatBytes } from '../../crypto/hash.js';
import { fail, OK, type Verdict } from '../../errors.js';
import { makeValidatorSet, type ValidatorSet } from '../../consensus/types.js';
import {
  accountEntryCodec,
  consentEntryCodec,
  grantEntryCodec,
  hospitalEntryCodec,
  managersEntryCodec,
  revocationEntryCodec,
  validatorsEntryCodec,
  type AccountEntry,
  type GrantEntry,
  type Role
} from '../entries.js';
import { getEntry, NS, type ChainState } from '../store.js';

export const account = (s: ChainState, key: Uint8Array): AccountEntry | null =>
  getEntry(s, NS.account, key, accountEntryCodec);

export const hospital = (s: ChainState, hospitalId: string) =>
  getEntry(s, NS.hospital, hospitalId, hospitalEntryCodec);

export const managers = (s: ChainState): Uint8Array[] =>
  getEntry(s, NS.meta, 'managers', managersEntryCodec)?.managers ?? [];

export const grantEntry = (s: ChainState, id: Uint8Array): GrantEntry | null =>
  getEntry(s, NS.grant, id, grantEntryCodec);

/** The validator set stored in state (consortium authorities, or a hospital chain's validators). */
export function validatorSetOf(s: ChainState): ValidatorSet {
  const e = getEntry(s, NS.validator, 'current', validatorsEntryCodec);
  return makeValidatorSet(e?.validators ?? []);
}

export const consentKey = (patient: Uint8Array, doctor: Uint8Array) => concatBytes(patient, doctor);
export const grantRevocationKey = (patient: Uint8Array, grantId: Uint8Array) => concatBytes(patient, grantId);

/**
 * Is the grant live as of this state? Order-independent: it reads only maxima and set membership.
 * A revocation of all grants to the doctor covers grants with seq <= its seq; a revocation naming the
 * grant covers it whatever the numbers (consent/precedence.ts states the rule).
 */
export function grantRevoked(s: ChainState, id: Uint8Array, g: GrantEntry): boolean {
  const c = getEntry(s, NS.consent, consentKey(g.patient, g.doctor), consentEntryCodec);
  if (c !== null && g.seq < c.revokedBelow) return true;
  return getEntry(s, NS.revocation, grantRevocationKey(g.patient, id), revocationEntryCodec) !== null;
}

/** An account that may act: registered, not rotated away, in the role the action needs. */
export function activeAccount(
  s: ChainState,
  key: Uint8Array,
  roles: readonly Role[]
): { ok: true; account: AccountEntry } | { ok: false; verdict: Verdict } {
  const a = account(s, key);
  if (a === null)
    return { ok: false, verdict: fail('chain/not-registered', { detail: 'key is not registered' }) };
  if (a.status !== 'active')
    return { ok: false, verdict: fail('account/revoked', { detail: 'key was rotated' }) };
  if (!roles.includes(a.role))
    return { ok: false, verdict: fail('account/wrong-role', { role: a.role, needed: roles }) };
  return { ok: true, account: a };
}

export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return bytesEqual(a, b);
}

export { OK };
