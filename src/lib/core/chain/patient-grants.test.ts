/**
 * Each patient's grant list (rules/patient-grants.ts), which a restored device reads to find every
 * doctor who still holds access: it lists each unrevoked, unexpired grant once, sorted by id; a
 * revocation unlists what it covers even when it reached the chain first; an empty list is no entry;
 * and a full list refuses the next grant by name until a grant expires or is revoked.
 * (consent.test.ts checks the list against the consent reducer under every commit order.)
 */
import { describe, expect, it } from 'vitest';
import { CHAIN_LIMITS } from '../constants.js';
import { isCoreError } from '../errors.js';
import { toHex } from '../crypto/hash.js';
import { grantId } from '../consent/grant.js';
import { createRevocation, type RevocationTarget } from '../consent/revocation.js';
import {
  DAY,
  DOCTOR,
  OTHER_DOCTOR,
  PATIENT_2,
  T0,
  commitConsortiumTx,
  grantFor,
  world,
  type Actor
} from './fixtures.node.js';
import { grantTxCodec, makeRevokeTx, revokeTxCodec, type GrantTx } from './tx/consent.js';
import { listedGrants } from './rules/patient-grants.js';
import { hasEntry, NS, type ChainState } from './store.js';

const W = world();
const ids = (s: ChainState) => listedGrants(s, PATIENT_2.keys.signingPublic).map((l) => toHex(l.id));
const idOf = (g: GrantTx) => toHex(grantId(g.grant));
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

describe("a patient's grant list", () => {
  it('lists each unrevoked grant, sorted by id, and unlists what a revocation covers', () => {
    const [a, b, c] = [grantTo(DOCTOR, 1), grantTo(DOCTOR, 2), grantTo(OTHER_DOCTOR, 3)];
    let s = [a, b, c].reduce((st, g) => commitGrant(st, g!), W.consortium);
    expect(ids(s)).toEqual([idOf(a!), idOf(b!), idOf(c!)].sort());
    const listed = listedGrants(s, PATIENT_2.keys.signingPublic).find((l) => toHex(l.id) === idOf(c!));
    expect(listed).toMatchObject({ seq: 3, expiry: T0 + 90 * DAY, doctor: OTHER_DOCTOR.keys.signingPublic });

    s = commitRevoke(s, { grant: grantId(a!.grant) }, 4);
    expect(ids(s)).toEqual([idOf(b!), idOf(c!)].sort());
    // Revoking every grant to DOCTOR up to seq 5 covers b; OTHER_DOCTOR's grant stays listed.
    s = commitRevoke(s, { doctor: DOCTOR.keys.signingPublic }, 5);
    expect(ids(s)).toEqual([idOf(c!)]);
    // A later-numbered grant to the same doctor is a new grant, and is listed.
    const d = grantTo(DOCTOR, 6);
    s = commitGrant(s, d);
    expect(ids(s)).toEqual([idOf(c!), idOf(d)].sort());
  });

  it('a revocation that reached the chain first keeps its grant off the list; an empty list is no entry', () => {
    let s = commitRevoke(W.consortium, { doctor: DOCTOR.keys.signingPublic }, 5);
    s = commitGrant(s, grantTo(DOCTOR, 4));
    expect(ids(s)).toEqual([]);
    expect(hasEntry(s, NS.patientGrants, PATIENT_2.keys.signingPublic)).toBe(false);

    // Listed, then unlisted: the same state as never listed.
    const g = grantTo(OTHER_DOCTOR, 7);
    const listedThenRevoked = commitRevoke(commitGrant(s, g), { grant: grantId(g.grant) }, 8);
    const revokedThenGranted = commitGrant(commitRevoke(s, { grant: grantId(g.grant) }, 8), g);
    expect(hasEntry(listedThenRevoked, NS.patientGrants, PATIENT_2.keys.signingPublic)).toBe(false);
    expect(listedThenRevoked.root()).toEqual(revokedThenGranted.root());
  });

  it('a full list refuses the next grant with consent/too-many-grants, until grants expire or are revoked', () => {
    const max = CHAIN_LIMITS.maxPatientGrants;
    const short = Array.from({ length: max }, (_, i) =>
      grantTo(i % 2 ? DOCTOR : OTHER_DOCTOR, i + 1, T0 + 2 * DAY)
    );
    const full = short.reduce((st, g) => commitGrant(st, g, T0 + DAY), W.consortium);
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
});
