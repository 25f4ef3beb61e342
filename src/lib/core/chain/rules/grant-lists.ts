/**
 * Grant lists, in consortium state: for each patient, and for each doctor, the grants between them
 * and anyone that no revocation covers and that have not expired, sorted by grant id. The grants
 * themselves are stored by id only, which no one can enumerate; these lists are how any device of
 * the account finds them with proofs — a patient who restored their account on a new phone lists and
 * revokes every doctor who still holds access, and a doctor at another PC gets every patient who
 * granted them access, without a second scan.
 *
 * A patient's list is one entry under their key (at most CHAIN_LIMITS.maxPatientGrants, of which at
 * most CHAIN_LIMITS.maxGrantsPerDoctor to one doctor). A doctor may hold thousands of grants, more
 * than one state value is meant to hold, so theirs is split into CHAIN_LIMITS.doctorGrantBuckets
 * entries by the grant id's first byte; the client reads them all. The per-doctor cap is what keeps a
 * few accounts from filling a doctor's list to lock other patients out: a patient can choose a grant's
 * bucket by trying ids, but can hold only 16 grants to the doctor, so one full bucket takes 8 registered
 * accounts (and costs the doctor only grants whose id lands there: the patient's next code lands
 * elsewhere), and all 32 buckets take 256.
 *
 * Liveness never reads these lists (lookup.ts grantRevoked decides), but they keep the consent state
 * order-independent all the same (consent.ts): a grant is listed only if no revocation covers it, a
 * revocation unlists every grant it covers, a sorted set does not remember the order it was built
 * in, and an empty list is no entry at all. Expired grants are dropped from a list when a grant is
 * added to it, at that block's time; only live grants count against a list's room.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { fail, OK, type Verdict } from '../../errors.js';
import { concatBytes } from '../../crypto/hash.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { stateKey } from '../../state/smt.js';
import type { Revocation } from '../../consent/revocation.js';
import { compareBytes } from '../bytes.js';
import { grantListEntryCodec, type GrantEntry, type ListedGrant } from '../entries.js';
import { getEntry, NS, putEntry, type ChainState } from '../store.js';
import { grantEntry, grantRevoked } from './lookup.js';

/** One list's place in state. */
interface ListRef {
  ns: typeof NS.patientGrants | typeof NS.doctorGrants;
  id: Uint8Array;
}

const patientList = (patient: Uint8Array): ListRef => ({
  ns: NS.patientGrants,
  id: patient
});

/** The id of a doctor's bucket: their key and the bucket number. */
export const doctorBucketId = (doctor: Uint8Array, bucket: number): Uint8Array =>
  concatBytes(doctor, Uint8Array.of(bucket));

const doctorBucket = (doctor: Uint8Array, bucket: number): ListRef => ({
  ns: NS.doctorGrants,
  id: doctorBucketId(doctor, bucket)
});

/** The bucket of the doctor's list a grant goes in: by its id's first byte (ids are hashes). */
const doctorList = (doctor: Uint8Array, grantId: Uint8Array): ListRef =>
  doctorBucket(doctor, grantId[0]! % CHAIN_LIMITS.doctorGrantBuckets);

const read = (s: ChainState, l: ListRef): ListedGrant[] =>
  getEntry(s, l.ns, l.id, grantListEntryCodec)?.grants ?? [];

function write(s: ChainState, l: ListRef, grants: ListedGrant[]): ChainState {
  if (grants.length === 0) return s.has(stateKey(l.ns, l.id)) ? s.delete(stateKey(l.ns, l.id)) : s;
  const sorted = [...grants].sort((a, b) => compareBytes(a.id, b.id));
  return putEntry(s, l.ns, l.id, grantListEntryCodec, {
    t: TAGS.stGrantList,
    v: PROTOCOL_VERSION,
    grants: sorted
  });
}

/** The patient's listed grants (party: the doctor), sorted by id. */
export const patientGrants = (s: ChainState, patient: Uint8Array): ListedGrant[] =>
  read(s, patientList(patient));

/** The doctor's listed grants (party: the patient), bucket by bucket. */
export function doctorGrants(s: ChainState, doctor: Uint8Array): ListedGrant[] {
  const out: ListedGrant[] = [];
  for (let b = 0; b < CHAIN_LIMITS.doctorGrantBuckets; b++) out.push(...read(s, doctorBucket(doctor, b)));
  return out;
}

const liveIn = (s: ChainState, l: ListRef, time: number) => read(s, l).filter((g) => g.expiry > time);

/**
 * Whether a grant fits at block time `time`: in the patient's list, under the cap of grants to one
 * doctor, and in the doctor's bucket.
 */
export function grantListsHaveRoom(
  s: ChainState,
  id: Uint8Array,
  g: Pick<GrantEntry, 'patient' | 'doctor'>,
  time: number
): Verdict {
  const mine = liveIn(s, patientList(g.patient), time);
  if (mine.length >= CHAIN_LIMITS.maxPatientGrants)
    return fail('consent/too-many-grants', { max: CHAIN_LIMITS.maxPatientGrants });
  if (mine.filter((l) => bytesEqual(l.party, g.doctor)).length >= CHAIN_LIMITS.maxGrantsPerDoctor)
    return fail('consent/too-many-grants-to-doctor', { max: CHAIN_LIMITS.maxGrantsPerDoctor });
  if (liveIn(s, doctorList(g.doctor, id), time).length >= CHAIN_LIMITS.maxDoctorBucketGrants)
    return fail('consent/doctor-too-many-grants', {
      max: CHAIN_LIMITS.maxDoctorBucketGrants * CHAIN_LIMITS.doctorGrantBuckets
    });
  return OK;
}

/** Drops `l`'s expired grants and, unless undefined, lists `item`. */
function insert(s: ChainState, l: ListRef, item: ListedGrant | undefined, time: number): ChainState {
  const kept = read(s, l).filter((g) => g.expiry > time);
  return write(s, l, item ? [...kept, item] : kept);
}

/**
 * Lists a grant just stored (apply rules; verify checked the room) in the patient's list and the
 * doctor's bucket, dropping their expired ones. A grant a revocation already covers, or one already
 * expired, is not listed.
 */
export function listGrant(s: ChainState, id: Uint8Array, g: GrantEntry, time: number): ChainState {
  const live = g.expiry > time && !grantRevoked(s, id, g);
  const item = (party: Uint8Array) => (live ? { id, party, seq: g.seq, expiry: g.expiry } : undefined);
  const withPatient = insert(s, patientList(g.patient), item(g.doctor), time);
  return insert(withPatient, doctorList(g.doctor, id), item(g.patient), time);
}

function remove(s: ChainState, l: ListRef, covered: (g: ListedGrant) => boolean): ChainState {
  const before = read(s, l);
  const after = before.filter((g) => !covered(g));
  return after.length === before.length ? s : write(s, l, after);
}

/** Unlists the grants a revocation covers: the one it names, or the doctor's with seq <= its own. */
export function unlistRevoked(s: ChainState, r: Revocation): ChainState {
  if (r.by === 'grant') {
    const named = (g: ListedGrant) => bytesEqual(g.id, r.target);
    const out = remove(s, patientList(r.patient), named);
    // A revocation naming a grant not yet on the chain has nothing to unlist: the grant, when it
    // comes, finds itself revoked and is not listed.
    const grant = grantEntry(out, r.target);
    return grant && bytesEqual(grant.patient, r.patient)
      ? remove(out, doctorList(grant.doctor, r.target), named)
      : out;
  }
  const covers = (party: Uint8Array) => (g: ListedGrant) => bytesEqual(g.party, party) && g.seq <= r.seq;
  let out = remove(s, patientList(r.patient), covers(r.target));
  for (let b = 0; b < CHAIN_LIMITS.doctorGrantBuckets; b++)
    out = remove(out, doctorBucket(r.target, b), covers(r.patient));
  return out;
}
