import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DAY, DOCTORS, T0, memoGrant, memoRevokeDoctor, memoRevokeGrant } from './fixtures.node.js';
import { grantId, type Grant } from './grant.js';
import type { Revocation } from './revocation.js';
import {
  EMPTY_CONSENT,
  activeGrants,
  applyConsentEvent,
  consentState,
  revocationOf,
  usedSeqs,
  type ConsentEvent
} from './precedence.js';
import { verifyGrantFor } from './verify.js';
import { toHex } from '../crypto/hash.js';

/**
 * A history per patient: operations with distinct sequence numbers. Each op is a grant to a doctor, a
 * revocation of every grant to a doctor, or a revocation of one earlier grant by id.
 */
type Op =
  { kind: 'grant'; d: number } | { kind: 'revDoctor'; d: number } | { kind: 'revGrant'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('grant' as const), d: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revDoctor' as const), d: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revGrant' as const), pick: fc.nat(20) }) }
);

// Two patients, each with up to 10 operations; seqs are a random permutation of 0..n-1.
const historyArb = fc.tuple(
  fc.array(opArb, { minLength: 1, maxLength: 10 }),
  fc.array(opArb, { maxLength: 10 })
);

interface Built {
  events: ConsentEvent[];
  /** What processing the events in sequence-number order decides: ids of grants still active. */
  expected: Set<string>;
}

function build(histories: Op[][], seqOrder: number[][]): Built {
  const events: ConsentEvent[] = [];
  const expected = new Set<string>();
  histories.forEach((ops, p) => {
    const seqs = seqOrder[p]!;
    // Process in seq order, the reference semantics: the highest sequence number decides.
    const bySeq = ops.map((op, i) => ({ op, seq: seqs[i]! })).sort((a, b) => a.seq - b.seq);
    const grantsSoFar: Grant[] = [];
    const active = new Map<string, Grant>();
    for (const { op, seq } of bySeq) {
      if (op.kind === 'grant') {
        const g = memoGrant(p, op.d, seq);
        grantsSoFar.push(g);
        active.set(toHex(grantId(g)), g);
        events.push(g);
      } else if (op.kind === 'revDoctor') {
        events.push(memoRevokeDoctor(p, op.d, seq));
        const doctor = toHex(DOCTORS[op.d]!.keys.signingPublic);
        for (const [id, g] of active) if (toHex(g.doctor) === doctor) active.delete(id);
      } else if (grantsSoFar.length > 0) {
        const g = grantsSoFar[op.pick % grantsSoFar.length]!;
        events.push(memoRevokeGrant(p, g, seq));
        active.delete(toHex(grantId(g)));
      }
    }
    for (const id of active.keys()) expected.add(id);
  });
  return { events, expected };
}

const seqPermutation = (n: number) =>
  fc.shuffledSubarray(
    Array.from({ length: n }, (_, i) => i),
    { minLength: n, maxLength: n }
  );

const scenarioArb = historyArb.chain((hs) =>
  fc.tuple(fc.constant(hs), fc.tuple(...hs.map((h) => seqPermutation(h.length)))).chain(([hs2, seqs]) => {
    const built = build(hs2, seqs);
    return fc.tuple(
      fc.constant(built),
      fc.shuffledSubarray(built.events, { minLength: built.events.length, maxLength: built.events.length })
    );
  })
);

const ids = (gs: Grant[]) => gs.map((g) => toHex(grantId(g)));

describe('consent precedence', () => {
  it('the final state is what the highest sequence numbers decided, whatever the arrival order', () => {
    fc.assert(
      fc.property(scenarioArb, ([built, arrival]) => {
        const state = consentState(arrival);
        expect(new Set(ids(activeGrants(state)))).toEqual(built.expected);
        // Same set, same answer, byte for byte (sorted output).
        expect(ids(activeGrants(state))).toEqual(ids(activeGrants(consentState(built.events))));
        // Re-delivering events changes nothing.
        expect(ids(activeGrants(consentState(arrival, state)))).toEqual(ids(activeGrants(state)));
      }),
      { numRuns: 1000 }
    );
  });

  it('a grant never restores access that a later-numbered revocation removed, at any point of arrival', () => {
    fc.assert(
      fc.property(scenarioArb, ([, arrival]) => {
        let state = EMPTY_CONSENT;
        const seen: Revocation[] = [];
        for (const e of arrival) {
          state = applyConsentEvent(state, e);
          if (e.t === 'cc/revocation') seen.push(e);
          for (const g of activeGrants(state)) {
            for (const r of seen) {
              const sameDoctor = r.by === 'doctor' && toHex(r.target) === toHex(g.doctor);
              const samePatient = toHex(r.patient) === toHex(g.patient);
              expect(samePatient && sameDoctor && r.seq >= g.seq).toBe(false);
              expect(samePatient && r.by === 'grant' && toHex(r.target) === toHex(grantId(g))).toBe(false);
            }
          }
        }
      }),
      { numRuns: 1000 }
    );
  });

  it('verifyGrantFor agrees with the reducer', () => {
    fc.assert(
      fc.property(scenarioArb, ([built, arrival]) => {
        const state = consentState(arrival);
        const revocations = [...state.revocations.values()];
        const active = new Set(ids(activeGrants(state)));
        for (const g of state.grants.values()) {
          const v = verifyGrantFor(g, {
            doctor: g.doctor,
            category: 'IV',
            mode: 'read',
            now: T0 + DAY,
            revocations
          });
          expect(v.ok).toBe(active.has(toHex(grantId(g))));
          if (!v.ok) expect(v.error.code).toBe('consent/revoked');
          expect(!!revocationOf(state, g)).toBe(!v.ok);
        }
        expect(built.expected.size).toBe(active.size);
      }),
      { numRuns: 1000 }
    );
  });

  it('ties go to the revocation; a later grant is a new, valid grant', () => {
    const g5 = memoGrant(0, 0, 5);
    const r5 = memoRevokeDoctor(0, 0, 5);
    expect(activeGrants(consentState([g5, r5]))).toEqual([]);
    expect(activeGrants(consentState([r5, g5]))).toEqual([]);
    const g6 = memoGrant(0, 0, 6);
    expect(ids(activeGrants(consentState([g6, r5, g5])))).toEqual(ids([g6]));
    // Revoking another doctor or another patient's grants leaves this one alone.
    expect(
      ids(activeGrants(consentState([g5, memoRevokeDoctor(0, 1, 9), memoRevokeDoctor(1, 0, 9)])))
    ).toEqual(ids([g5]));
  });

  it('filters active grants by patient, doctor and time, and lists used sequence numbers', () => {
    const a = memoGrant(0, 0, 1);
    const b = memoGrant(0, 1, 2);
    const c = memoGrant(1, 0, 3);
    const s = consentState([a, b, c, memoRevokeDoctor(0, 2, 4)]);
    expect(ids(activeGrants(s, { patient: a.patient }))).toEqual(ids([a, b]).sort());
    expect(ids(activeGrants(s, { doctor: a.doctor }))).toEqual(ids([a, c]).sort());
    expect(activeGrants(s, { now: T0 - 1 })).toEqual([]);
    expect(activeGrants(s, { now: T0 + 90 * DAY })).toEqual([]);
    expect(activeGrants(s, { now: T0 })).toHaveLength(3);
    expect([...usedSeqs(s, a.patient)].sort()).toEqual([1, 2, 4]);
    expect(applyConsentEvent(s, a)).toBe(s); // already there: the same state object
  });
});
