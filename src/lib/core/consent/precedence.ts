/**
 * The precedence rule and the consent reducer the chain applies.
 *
 * Rule: a revocation wins over every grant whose sequence number is not higher than its own — a
 * revocation by doctor covers that doctor's grants with seq <= its seq (ties go to the revocation:
 * when in doubt, no access); a revocation by grant id covers that one grant whatever the numbers (it
 * can only have been made after the grant, whose hash it names). A grant with a higher seq than every
 * revocation covering its doctor is a new, valid grant.
 *
 * Because the rule compares sequence numbers, never arrival order, the state is a plain set of events
 * and everything derived from it depends only on which events arrived, not in what order — two nodes
 * that saw a grant and a revocation in opposite orders agree. The reducer trusts its input: the chain
 * runs verifyGrant / verifyRevocation (signature, shape, replay) before applying an event.
 */
import { bytesEqual } from '../encoding/cbor.js';
import { fromHex, toHex } from '../crypto/hash.js';
import { TAGS } from '../constants.js';
import { grantId, type Grant } from './grant.js';
import { revocationId, type Revocation } from './revocation.js';

export type ConsentEvent = Grant | Revocation;

export function isGrant(e: ConsentEvent): e is Grant {
  return e.t === TAGS.grant;
}

/** Does `rev` withdraw `grant`? Pass `id` when the caller already has grantId(grant). */
export function revocationCovers(rev: Revocation, grant: Grant, id?: Uint8Array): boolean {
  if (!bytesEqual(rev.patient, grant.patient)) return false;
  if (rev.by === 'grant') return bytesEqual(rev.target, id ?? grantId(grant));
  return bytesEqual(rev.target, grant.doctor) && rev.seq >= grant.seq;
}

export interface ConsentState {
  /** grant id (hex) → grant */
  readonly grants: ReadonlyMap<string, Grant>;
  /** revocation id (hex) → revocation */
  readonly revocations: ReadonlyMap<string, Revocation>;
  /** patient signing key (hex) → that patient's revocations, for the per-grant check */
  readonly revocationsByPatient: ReadonlyMap<string, readonly Revocation[]>;
}

export const EMPTY_CONSENT: ConsentState = Object.freeze({
  grants: new Map(),
  revocations: new Map(),
  revocationsByPatient: new Map()
});

/** Add one event. Returns a new state (the input is never changed); re-applying an event is a no-op. */
export function applyConsentEvent(state: ConsentState, event: ConsentEvent): ConsentState {
  if (isGrant(event)) {
    const id = toHex(grantId(event));
    if (state.grants.has(id)) return state;
    return { ...state, grants: new Map(state.grants).set(id, event) };
  }
  const id = toHex(revocationId(event));
  if (state.revocations.has(id)) return state;
  const patient = toHex(event.patient);
  const byPatient = new Map(state.revocationsByPatient);
  byPatient.set(patient, [...(byPatient.get(patient) ?? []), event]);
  return {
    grants: state.grants,
    revocations: new Map(state.revocations).set(id, event),
    revocationsByPatient: byPatient
  };
}

/** The state a set of events leads to; the result does not depend on the order of `events`. */
export function consentState(
  events: Iterable<ConsentEvent>,
  from: ConsentState = EMPTY_CONSENT
): ConsentState {
  let s = from;
  for (const e of events) s = applyConsentEvent(s, e);
  return s;
}

/** The revocation with the highest seq that withdraws `grant`, if any (deterministic for a set). */
export function revocationOf(
  state: ConsentState,
  grant: Grant,
  id: Uint8Array = grantId(grant)
): Revocation | undefined {
  let best: Revocation | undefined;
  for (const r of state.revocationsByPatient.get(toHex(grant.patient)) ?? [])
    if (
      revocationCovers(r, grant, id) &&
      (!best || r.seq > best.seq || (r.seq === best.seq && less(r, best)))
    )
      best = r;
  return best;
}

function less(a: Revocation, b: Revocation): boolean {
  return toHex(revocationId(a)) < toHex(revocationId(b));
}

export interface GrantQuery {
  patient?: Uint8Array;
  doctor?: Uint8Array;
  /** If given, only grants inside their validity window at this time. */
  now?: number;
}

/** Grants not withdrawn by any revocation, sorted by grant id (so equal sets give equal lists). */
export function activeGrants(state: ConsentState, q: GrantQuery = {}): Grant[] {
  const out: [string, Grant][] = [];
  for (const [id, g] of state.grants) {
    if (q.patient && !bytesEqual(g.patient, q.patient)) continue;
    if (q.doctor && !bytesEqual(g.doctor, q.doctor)) continue;
    if (q.now !== undefined && (q.now < g.notBefore || q.now >= g.expiry)) continue;
    if (revocationOf(state, g, fromHex(id))) continue;
    out.push([id, g]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, g]) => g);
}

/** Sequence numbers a patient has used (grants and revocations): the replay check's input. */
export function usedSeqs(state: ConsentState, patient: Uint8Array): Set<number> {
  const seqs = new Set<number>();
  for (const g of state.grants.values()) if (bytesEqual(g.patient, patient)) seqs.add(g.seq);
  for (const r of state.revocationsByPatient.get(toHex(patient)) ?? []) seqs.add(r.seq);
  return seqs;
}
