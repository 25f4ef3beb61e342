/**
 * Grant lists (rules/grant-lists.ts): the patient's, which a restored device reads to find every
 * doctor who still holds access, and the doctor's, which any of their devices reads to find every
 * patient who granted them access. Each lists every unrevoked, unexpired grant once, sorted by id; a
 * revocation unlists what it covers even when it reached the chain first; an empty list is no entry;
 * and a full list refuses the next grant by name until a grant expires or is revoked.
 * (consent.test.ts checks both lists against the consent reducer under every commit order.)
 */
import { describe, expect, it } from 'vitest';
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { isCoreError } from '../errors.js';
import { sha256, toHex } from '../crypto/hash.js';
import { grantId } from '../consent/grant.js';
import { createRevocation, type RevocationTarget } from '../consent/revocation.js';
import {
  DAY,
  DOCTOR,
  LIST_DOCTORS,
  OTHER_DOCTOR,
  PATIENT,
  PATIENT_2,
  T0,
  commitConsortiumTx,
  grantFor,
  withListDoctors,
  world,
  type Actor
} from './fixtures.node.js';
import { grantTxCodec, makeRevokeTx, revokeTxCodec, type GrantTx } from './tx/consent.js';
import { doctorBucketId, doctorGrants, patientGrants } from './rules/grant-lists.js';
import { grantListEntryCodec } from './entries.js';
import { hasEntry, NS, putEntry, type ChainState } from './store.js';

const W = world();
const hexIds = (l: { id: Uint8Array }[]) => l.map((g) => toHex(g.id)).sort();
const ids = (s: ChainState) => hexIds(patientGrants(s, PATIENT_2.keys.signingPublic));
const doctorIds = (s: ChainState, d: Actor) => hexIds(doctorGrants(s, d.keys.signingPublic));
const idOf = (g: GrantTx) => toHex(grantId(g.grant));
const WORLD_GRANT = toHex(W.grantId); // PATIENT -> DOCTOR
const grantTo = (doctor: Actor, seq: number, expiry = T0 + 90 * DAY) =>
  grantFor(PATIENT_2, doctor, seq, undefined, { notBefore: T0, expiry });
const commitGrant = (s: ChainState, g: GrantTx, time?: number) =>
  commitConsortiumTx(s, grantTxCodec.encode(g), time);
const commitRevoke = (s: ChainState, target: RevocationTarget, seq: number) =>
  commitConsortiumTx(
    s,
    revokeTxCodec.encode(makeRevokeTx(createRevocation({ seed: PATIENT_2.seed, target, seq, time: T0 })))
  );
const refusal = (f: () => unknown) => {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return isCoreError(e) ? e.code : String(e);
  }
};

describe("patients' and doctors' grant lists", () => {
  it("lists each unrevoked grant in the patient's list and the doctor's, and unlists what a revocation covers", () => {
    const [a, b, c] = [grantTo(DOCTOR, 1), grantTo(DOCTOR, 2), grantTo(OTHER_DOCTOR, 3)];
    let s = [a, b, c].reduce((st, g) => commitGrant(st, g!), W.consortium);
    expect(ids(s)).toEqual([idOf(a!), idOf(b!), idOf(c!)].sort());
    expect(doctorIds(s, DOCTOR)).toEqual([WORLD_GRANT, idOf(a!), idOf(b!)].sort());
    expect(doctorIds(s, OTHER_DOCTOR)).toEqual([idOf(c!)]);
    const inPatients = patientGrants(s, PATIENT_2.keys.signingPublic).find((l) => toHex(l.id) === idOf(c!));
    expect(inPatients).toMatchObject({
      seq: 3,
      expiry: T0 + 90 * DAY,
      party: OTHER_DOCTOR.keys.signingPublic
    });
    const inDoctors = doctorGrants(s, OTHER_DOCTOR.keys.signingPublic)[0];
    expect(inDoctors).toMatchObject({ seq: 3, expiry: T0 + 90 * DAY, party: PATIENT_2.keys.signingPublic });

    s = commitRevoke(s, { grant: grantId(a!.grant) }, 4);
    expect(ids(s)).toEqual([idOf(b!), idOf(c!)].sort());
    expect(doctorIds(s, DOCTOR)).toEqual([WORLD_GRANT, idOf(b!)].sort());
    // Revoking every grant to DOCTOR up to seq 5 covers b; OTHER_DOCTOR's grant stays listed, and so
    // does the other patient's grant to DOCTOR.
    s = commitRevoke(s, { doctor: DOCTOR.keys.signingPublic }, 5);
    expect(ids(s)).toEqual([idOf(c!)]);
    expect(doctorIds(s, DOCTOR)).toEqual([WORLD_GRANT]);
    // A later-numbered grant to the same doctor is a new grant, and is listed.
    const d = grantTo(DOCTOR, 6);
    s = commitGrant(s, d);
    expect(ids(s)).toEqual([idOf(c!), idOf(d)].sort());
    expect(doctorIds(s, DOCTOR)).toEqual([WORLD_GRANT, idOf(d)].sort());
  });

  it('a revocation that reached the chain first keeps its grant off the list; an empty list is no entry', () => {
    let s = commitRevoke(W.consortium, { doctor: DOCTOR.keys.signingPublic }, 5);
    s = commitGrant(s, grantTo(DOCTOR, 4));
    expect(ids(s)).toEqual([]);
    expect(doctorIds(s, DOCTOR)).toEqual([WORLD_GRANT]);
    expect(hasEntry(s, NS.patientGrants, PATIENT_2.keys.signingPublic)).toBe(false);

    // Listed, then unlisted: the same state as never listed.
    const g = grantTo(OTHER_DOCTOR, 7);
    const listedThenRevoked = commitRevoke(commitGrant(s, g), { grant: grantId(g.grant) }, 8);
    const revokedThenGranted = commitGrant(commitRevoke(s, { grant: grantId(g.grant) }, 8), g);
    expect(hasEntry(listedThenRevoked, NS.patientGrants, PATIENT_2.keys.signingPublic)).toBe(false);
    expect(doctorIds(listedThenRevoked, OTHER_DOCTOR)).toEqual([]);
    expect(listedThenRevoked.root()).toEqual(revokedThenGranted.root());
  });

  it('a full list refuses the next grant with consent/too-many-grants, until grants expire or are revoked', () => {
    const max = CHAIN_LIMITS.maxPatientGrants;
    const short = Array.from({ length: max }, (_, i) =>
      grantTo(LIST_DOCTORS[i % LIST_DOCTORS.length]!, i + 1, T0 + 2 * DAY)
    );
    const full = short.reduce((st, g) => commitGrant(st, g, T0 + DAY), withListDoctors(W.consortium));
    expect(ids(full)).toHaveLength(max);

    const next = grantTo(DOCTOR, max + 1);
    expect(refusal(() => commitGrant(full, next, T0 + DAY))).toBe('consent/too-many-grants');
    // One revocation makes room for one grant.
    const revoked = commitRevoke(full, { grant: grantId(short[0]!.grant) }, max + 2);
    expect(ids(commitGrant(revoked, next, T0 + DAY))).toHaveLength(max);
    // Once they expire, the next grant is accepted and the expired ones leave the list.
    const later = commitGrant(full, next, T0 + 3 * DAY);
    expect(ids(later)).toEqual([idOf(next)]);
  });

  it('one doctor holds at most maxGrantsPerDoctor of a patient: the next is consent/too-many-grants-to-doctor', () => {
    const cap = CHAIN_LIMITS.maxGrantsPerDoctor;
    const short = Array.from({ length: cap }, (_, i) => grantTo(DOCTOR, i + 1, T0 + 2 * DAY));
    const full = short.reduce((st, g) => commitGrant(st, g, T0 + DAY), W.consortium);
    expect(doctorIds(full, DOCTOR)).toHaveLength(cap + 1); // the other patient's grant too

    const next = grantTo(DOCTOR, cap + 1);
    expect(refusal(() => commitGrant(full, next, T0 + DAY))).toBe('consent/too-many-grants-to-doctor');
    // The patient's list has room for other doctors, and another patient's grants to this doctor
    // are theirs to count.
    expect(ids(commitGrant(full, grantTo(OTHER_DOCTOR, cap + 1), T0 + DAY))).toHaveLength(cap + 1);
    expect(refusal(() => commitGrant(full, grantFor(PATIENT, DOCTOR, 2), T0 + DAY))).toBe('accepted');
    // A revocation by id makes room for one; once they expire, there is room again.
    const revoked = commitRevoke(full, { grant: grantId(short[0]!.grant) }, cap + 2);
    expect(refusal(() => commitGrant(revoked, grantTo(DOCTOR, cap + 3), T0 + DAY))).toBe('accepted');
    expect(ids(commitGrant(full, next, T0 + 3 * DAY))).toEqual([idOf(next)]);
  });

  it("a full bucket of the doctor's list refuses the grant with consent/doctor-too-many-grants, until they expire", () => {
    const g = grantTo(DOCTOR, 1);
    const id = grantId(g.grant);
    // The bucket this grant goes in, filled with other patients' grants expiring at T0 + 2 days.
    const others = Array.from({ length: CHAIN_LIMITS.maxDoctorBucketGrants }, (_, i) => ({
      id: sha256(Uint8Array.of(i)),
      party: PATIENT.keys.signingPublic,
      seq: i,
      expiry: T0 + 2 * DAY
    }));
    const bucket = doctorBucketId(DOCTOR.keys.signingPublic, id[0]! % CHAIN_LIMITS.doctorGrantBuckets);
    const full = putEntry(W.consortium, NS.doctorGrants, bucket, grantListEntryCodec, {
      t: TAGS.stGrantList,
      v: PROTOCOL_VERSION,
      grants: others.sort((x, y) => (toHex(x.id) < toHex(y.id) ? -1 : 1))
    });
    expect(refusal(() => commitGrant(full, g, T0 + DAY))).toBe('consent/doctor-too-many-grants');
    // The patient's own list had room: only the doctor's bucket refused.
    expect(ids(full)).toEqual([]);
    const later = commitGrant(full, g, T0 + 3 * DAY);
    expect(doctorIds(later, DOCTOR)).toEqual([WORLD_GRANT, idOf(g)].sort());
  });
});
