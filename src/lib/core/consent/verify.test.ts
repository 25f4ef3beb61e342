import { describe, expect, it } from 'vitest';
import { DAY, DOCTORS, PATIENTS, T0, grant } from './fixtures.node.js';
import { grantCodec, grantId } from './grant.js';
import { createRevocation } from './revocation.js';
import { verifyGrant, verifyGrantFor, verifyRevocation, type GrantUse } from './verify.js';
import { ERROR_CODES, type ErrorCode, type Verdict } from '../errors.js';

const [P, Q] = PATIENTS as [(typeof PATIENTS)[0], (typeof PATIENTS)[0]];
const [D, E] = DOCTORS as [(typeof DOCTORS)[0], (typeof DOCTORS)[0]];

const g = grant(P, D, 10, { categories: ['IV', 'IX'], read: true, write: false });
const use: GrantUse = {
  doctor: D.keys.signingPublic,
  category: 'IV',
  mode: 'read',
  now: T0 + DAY,
  revocations: []
};
const code = (v: Verdict) => (v.ok ? 'ok' : v.error.code);
const produced = new Set<ErrorCode>();
const expectCode = (v: Verdict, c: ErrorCode | 'ok') => {
  expect(code(v)).toBe(c);
  if (!v.ok) produced.add(v.error.code);
};

describe('verifyGrantFor', () => {
  it('accepts the granted doctor, category and mode inside the window', () => {
    expectCode(verifyGrantFor(g, use), 'ok');
    expectCode(verifyGrantFor(g, { ...use, category: 'IX' }), 'ok');
    expectCode(verifyGrantFor(g, { ...use, now: T0 }), 'ok');
  });

  it('names every way a grant can fail', () => {
    expectCode(
      verifyGrantFor({ ...g, sig: g.sig.map((b, i) => (i === 0 ? b ^ 1 : b)) }, use),
      'consent/bad-signature'
    );
    expectCode(verifyGrantFor({ ...g, seq: g.seq + 1 }, use), 'consent/bad-signature');
    // A grant from another patient's key re-labelled as P's.
    expectCode(
      verifyGrantFor({ ...grant(Q, D, 10), patient: P.keys.signingPublic }, use),
      'consent/bad-signature'
    );
    expectCode(verifyGrantFor(g, { ...use, now: T0 + 90 * DAY }), 'consent/expired');
    expectCode(verifyGrantFor(g, { ...use, now: T0 - 1 }), 'consent/not-yet-valid');
    expectCode(verifyGrantFor(g, { ...use, doctor: E.keys.signingPublic }), 'consent/wrong-doctor');
    expectCode(verifyGrantFor(g, { ...use, category: 'V' }), 'consent/out-of-scope');
    expectCode(verifyGrantFor(g, { ...use, category: 'not a code' }), 'consent/out-of-scope');
    expectCode(verifyGrantFor(g, { ...use, mode: 'write' }), 'consent/out-of-scope');
    expectCode(verifyGrantFor(g, { ...use, seenSeqs: new Set([10]) }), 'consent/replayed');
    expectCode(verifyGrantFor(g, { ...use, seenSeqs: new Set([9, 11]) }), 'ok');
    const byGrant = createRevocation({ seed: P.seed, target: { grant: grantId(g) }, seq: 11, time: T0 });
    expectCode(verifyGrantFor(g, { ...use, revocations: [byGrant] }), 'consent/revoked');
    const byDoctor = createRevocation({
      seed: P.seed,
      target: { doctor: D.keys.signingPublic },
      seq: 11,
      time: T0
    });
    expectCode(verifyGrantFor(g, { ...use, revocations: [byDoctor] }), 'consent/revoked');
    for (const bad of [
      null,
      42,
      'grant',
      {},
      { ...g, extra: true },
      { ...g, v: 2 },
      { ...g, caps: 'x' },
      { ...g, expiry: g.notBefore }
    ])
      expectCode(verifyGrantFor(bad, use), 'consent/malformed');
    // The QR tests produce consent/too-large; the consortium's grant lists (chain/grant-lists.test.ts)
    // the two too-many-grants refusals.
    const elsewhere = [
      'consent/too-large',
      'consent/too-many-grants',
      'consent/too-many-grants-to-doctor',
      'consent/doctor-too-many-grants'
    ];
    const consentCodes = Object.keys(ERROR_CODES).filter(
      (c) => c.startsWith('consent/') && !elsewhere.includes(c)
    );
    expect([...produced].sort()).toEqual(consentCodes.sort());
  });

  it('a revocation wins over grants with a lower or equal seq, not over a later grant', () => {
    const rev = (seq: number) =>
      createRevocation({ seed: P.seed, target: { doctor: D.keys.signingPublic }, seq, time: T0 });
    expectCode(verifyGrantFor(g, { ...use, revocations: [rev(10)] }), 'consent/revoked'); // tie: no access
    expectCode(verifyGrantFor(g, { ...use, revocations: [rev(9)] }), 'ok'); // the grant came after
    const later = grant(P, D, 12, { categories: ['IV'], read: true, write: false });
    expectCode(verifyGrantFor(later, { ...use, revocations: [rev(11)] }), 'ok');
    expectCode(verifyGrantFor(later, { ...use, revocations: [rev(11), rev(13)] }), 'consent/revoked');
  });

  it('ignores revocations that are not the patient’s own signed word or name someone else', () => {
    const other = createRevocation({
      seed: Q.seed,
      target: { doctor: D.keys.signingPublic },
      seq: 99,
      time: T0
    });
    const forged = { ...other, patient: P.keys.signingPublic }; // Q's signature, P's name
    const otherDoctor = createRevocation({
      seed: P.seed,
      target: { doctor: E.keys.signingPublic },
      seq: 99,
      time: T0
    });
    const otherGrant = createRevocation({
      seed: P.seed,
      target: { grant: new Uint8Array(32) },
      seq: 99,
      time: T0
    });
    expectCode(
      verifyGrantFor(g, { ...use, revocations: [other, forged, otherDoctor, otherGrant, null] }),
      'ok'
    );
    expect(verifyRevocation(forged).ok).toBe(false);
  });
});

describe('verifyGrant / verifyRevocation (admission)', () => {
  it('checks shape, signature, replay and expiry', () => {
    expect(verifyGrant(grantCodec.decode(grantCodec.encode(g))).ok).toBe(true);
    expect(code(verifyGrant(g, { now: T0 + 90 * DAY }))).toBe('consent/expired');
    expect(code(verifyGrant(g, { now: T0 - DAY }))).toBe('ok'); // may be admitted before it starts
    expect(code(verifyGrant(g, { seenSeqs: new Set([10]) }))).toBe('consent/replayed');
    expect(code(verifyGrant({ ...g, doctor: E.keys.signingPublic }))).toBe('consent/bad-signature');
    expect(code(verifyGrant(undefined))).toBe('consent/malformed');
    const r = createRevocation({ seed: P.seed, target: { doctor: D.keys.signingPublic }, seq: 3, time: T0 });
    expect(code(verifyRevocation(r))).toBe('ok');
    expect(code(verifyRevocation(r, { seenSeqs: new Set([3]) }))).toBe('consent/replayed');
    expect(code(verifyRevocation({ ...r, seq: 4 }))).toBe('consent/bad-signature');
    expect(code(verifyRevocation({ ...r, by: 'hospital' }))).toBe('consent/malformed');
  });
});
