/**
 * Each patient's grant list, in consortium state: one entry per patient holding, sorted by grant id,
 * every grant of theirs that is neither revoked nor expired. It is how a patient who restores their
 * account on a new device finds, with one proof, every doctor who still holds access, and revokes
 * them one by one — the grants themselves are stored by id only, which no one can enumerate.
 *
 * Liveness never reads this list (lookup.ts grantRevoked decides), but it keeps the consent state
 * order-independent all the same (consent.ts): a grant is listed only if no revocation covers it, a
 * revocation unlists every grant it covers, a sorted set does not remember the order it was built
 * in, and an empty list is no entry at all. Expired grants are dropped when a grant of the same
 * patient is committed, at that block's time, so the entry holds at most
 * CHAIN_LIMITS.maxPatientGrants grants that are live or expired since the patient's last grant.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { compareBytes } from '../bytes.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { stateKey } from '../../state/smt.js';
import type { Revocation } from '../../consent/revocation.js';
import { patientGrantsEntryCodec, type GrantEntry, type ListedGrant } from '../entries.js';
import { getEntry, NS, putEntry, type ChainState } from '../store.js';
import { grantRevoked } from './lookup.js';

/** The patient's listed grants (sorted by id; empty if none). */
export function listedGrants(s: ChainState, patient: Uint8Array): ListedGrant[] {
  return getEntry(s, NS.patientGrants, patient, patientGrantsEntryCodec)?.grants ?? [];
}

function writeList(s: ChainState, patient: Uint8Array, grants: ListedGrant[]): ChainState {
  if (grants.length === 0) return s.delete(stateKey(NS.patientGrants, patient));
  return putEntry(s, NS.patientGrants, patient, patientGrantsEntryCodec, {
    t: TAGS.stPatientGrants,
    v: PROTOCOL_VERSION,
    grants
  });
}

/** Whether one more grant fits in the patient's list at block time `time` (expired ones make room). */
export function grantListHasRoom(s: ChainState, patient: Uint8Array, time: number): boolean {
  const unexpired = listedGrants(s, patient).filter((g) => g.expiry > time);
  return unexpired.length < CHAIN_LIMITS.maxPatientGrants;
}

/**
 * Lists a grant just stored (apply rules; verify checked the room), dropping the patient's expired
 * ones. A grant a revocation already covers, or one already expired, is not listed.
 */
export function listGrant(s: ChainState, id: Uint8Array, g: GrantEntry, time: number): ChainState {
  const kept = listedGrants(s, g.patient).filter((l) => l.expiry > time && !bytesEqual(l.id, id));
  if (g.expiry > time && !grantRevoked(s, id, g))
    kept.push({ id, doctor: g.doctor, seq: g.seq, expiry: g.expiry });
  return writeList(
    s,
    g.patient,
    kept.sort((a, b) => compareBytes(a.id, b.id))
  );
}

/** Unlists the grants a revocation covers: the one it names, or the doctor's with seq <= its own. */
export function unlistRevoked(s: ChainState, r: Revocation): ChainState {
  const before = listedGrants(s, r.patient);
  const covered = (l: ListedGrant) =>
    r.by === 'grant' ? bytesEqual(l.id, r.target) : bytesEqual(l.doctor, r.target) && l.seq <= r.seq;
  const after = before.filter((l) => !covered(l));
  return after.length === before.length ? s : writeList(s, r.patient, after);
}
