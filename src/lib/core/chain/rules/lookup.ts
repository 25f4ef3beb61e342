/** Reads of consortium state that both chains' rules need. */
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
import { getEntry, NS, type ChainState, type Namespace } from '../store.js';
import { hexKey } from '../bytes.js';

/**
 * Decoded entries per state version. A hospital validator checks every record of every block against
 * one consortium state (it changes only when the consortium commits), and each record reads the same
 * author, grant and mirror entries: without this each read walks the tree and decodes CBOR through a
 * schema again. The state is immutable, so an entry read from it never changes and the memo returns
 * exactly what a fresh read would; a WeakMap lets a state's memo go with the state. Callers treat the
 * entries as read-only (they always did: entries are values, changed only by writing a new state).
 */
const memo = new WeakMap<ChainState, Map<string, unknown>>();
/**
 * Entries kept per state: a block's worth of distinct authors, grants and mirrors is far fewer; the
 * bound only stops one long-lived state from growing a memo without end (it starts over when full).
 */
export const LOOKUP_MEMO_ENTRIES = 4096;

/**
 * The memo key of (namespace, id). Byte ids (keys, grant ids, pairs of them: ≤ 64 bytes) are spelled
 * one char per byte, several times cheaper than hex for the half-dozen lookups of every record; the
 * letter after the namespace keeps string ids and byte ids apart, and both spellings are injective.
 */
function memoKey(ns: Namespace, id: Uint8Array | string): string {
  if (typeof id === 'string') return `${ns}/s${id}`;
  if (id.length > 256) return `${ns}/h${hexKey(id)}`; // not ours today; apply() has argument limits
  return `${ns}/b${String.fromCharCode.apply(null, id as unknown as number[])}`;
}

function memoised<T>(s: ChainState, ns: Namespace, id: Uint8Array | string, read: () => T): T {
  let m = memo.get(s);
  if (m === undefined) memo.set(s, (m = new Map()));
  const key = memoKey(ns, id);
  const hit = m.get(key);
  if (hit !== undefined || m.has(key)) return hit as T;
  const value = read();
  if (m.size >= LOOKUP_MEMO_ENTRIES) m.clear();
  m.set(key, value);
  return value;
}

export const account = (s: ChainState, key: Uint8Array): AccountEntry | null =>
  memoised(s, NS.account, key, () => getEntry(s, NS.account, key, accountEntryCodec));

export const hospital = (s: ChainState, hospitalId: string) =>
  memoised(s, NS.hospital, hospitalId, () => getEntry(s, NS.hospital, hospitalId, hospitalEntryCodec));

export const managers = (s: ChainState): Uint8Array[] =>
  memoised(
    s,
    NS.meta,
    'managers',
    () => getEntry(s, NS.meta, 'managers', managersEntryCodec)?.managers ?? []
  );

export const grantEntry = (s: ChainState, id: Uint8Array): GrantEntry | null =>
  memoised(s, NS.grant, id, () => getEntry(s, NS.grant, id, grantEntryCodec));

/** The validator set stored in state (consortium authorities, or a hospital chain's validators). */
export function validatorSetOf(s: ChainState): ValidatorSet {
  return memoised(s, NS.validator, 'current', () => {
    const e = getEntry(s, NS.validator, 'current', validatorsEntryCodec);
    return makeValidatorSet(e?.validators ?? []);
  });
}

export const consentKey = (patient: Uint8Array, doctor: Uint8Array) => concatBytes(patient, doctor);
export const grantRevocationKey = (patient: Uint8Array, grantId: Uint8Array) => concatBytes(patient, grantId);

/**
 * Is the grant live as of this state? Order-independent: it reads only maxima and set membership.
 * A revocation of all grants to the doctor covers grants with seq <= its seq; a revocation naming the
 * grant covers it whatever the numbers (consent/precedence.ts states the rule).
 */
export function grantRevoked(s: ChainState, id: Uint8Array, g: GrantEntry): boolean {
  const ck = consentKey(g.patient, g.doctor);
  const c = memoised(s, NS.consent, ck, () => getEntry(s, NS.consent, ck, consentEntryCodec));
  if (c !== null && g.seq < c.revokedBelow) return true;
  const rk = grantRevocationKey(g.patient, id);
  return memoised(s, NS.revocation, rk, () => getEntry(s, NS.revocation, rk, revocationEntryCodec)) !== null;
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

export { OK };
