import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CoreError } from '../errors.js';
import { seededRng, utf8Bytes, setEd25519Backend } from '../crypto/index.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { approve, checkMajority, majorityOf, tallyApprovals, type Approval } from './approval.js';
import { MIN_VALIDATOR_STAKE, MIN_WRITE_STAKE, RANKS, stakeForRank } from './rank.js';
import { accounts } from './test-fixtures.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

const managers = accounts.slice(0, 9);
const outsider = accounts[11]!;
const subject = seededRng(utf8Bytes('subject'))(32);
const other = seededRng(utf8Bytes('other subject'))(32);
const approvalsFor = (s: Uint8Array) => managers.map((m) => approve(m.signingSeed, s));
const good = approvalsFor(subject);

const codeOf = (v: { ok: true } | { ok: false; error: CoreError }) => (v.ok ? 'ok' : v.error.code);

describe('manager majority', () => {
  it('strictly more than half of the distinct managers is a majority; exactly half is not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.nat(9), fc.nat(), (n, k0, shuffle) => {
        const set = managers.slice(0, n).map((m) => m.signingPublic);
        const k = k0 % (n + 1);
        const chosen = good.slice(0, n).slice(0, k);
        const rotated = chosen.map((_, i) => chosen[(i + shuffle) % chosen.length]!);
        const verdict = checkMajority(rotated, set, subject);
        expect(verdict.ok).toBe(2 * k > n);
        if (!verdict.ok) expect(verdict.error.code).toBe('account/not-majority');
      }),
      { numRuns: 1000 }
    );
    expect(
      codeOf(
        checkMajority(
          good.slice(0, 2),
          managers.slice(0, 4).map((m) => m.signingPublic),
          subject
        )
      )
    ).toBe('account/not-majority');
    expect(
      codeOf(
        checkMajority(
          good.slice(0, 3),
          managers.slice(0, 4).map((m) => m.signingPublic),
          subject
        )
      )
    ).toBe('ok');
    expect(codeOf(checkMajority([], [], subject))).toBe('account/not-majority');
    expect(majorityOf(1)).toBe(1);
    expect(majorityOf(4)).toBe(3);
    expect(majorityOf(5)).toBe(3);
  });

  it('a manager listed twice in the set counts once', () => {
    const a = managers[0]!.signingPublic;
    const b = managers[1]!.signingPublic;
    expect(codeOf(checkMajority(good.slice(0, 1), [a, a, a, b], subject))).toBe('account/not-majority');
    expect(codeOf(checkMajority(good.slice(0, 2), [a, a, a, b], subject))).toBe('ok');
  });

  it('duplicates, non-managers, other subjects and bad signatures do not count: the set is refused', () => {
    const set = managers.slice(0, 5).map((m) => m.signingPublic);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.nat(4),
        (k, kind, at) => {
          // k genuine approvals (a majority or not) plus one bad one inserted anywhere.
          const base = good.slice(0, Math.max(k, 1));
          const flipped: Approval = { ...good[0]!, sig: new Uint8Array(good[0]!.sig) };
          flipped.sig[5]! ^= 1;
          const bad: Approval[] = [
            base[0]!,
            approve(outsider.signingSeed, subject),
            approve(managers[0]!.signingSeed, other),
            flipped
          ];
          const expected = [
            'account/duplicate-approval',
            'account/not-manager',
            'account/wrong-subject',
            'crypto/bad-signature'
          ][kind];
          const list = [...base];
          // A duplicate must come after its original to be the duplicate; the others go anywhere.
          list.splice(kind === 0 ? base.length : at % (base.length + 1), 0, bad[kind]!);
          if (kind === 3) list.splice(list.indexOf(base[0]!), 1); // the flipped one replaces manager 0's
          expect(codeOf(checkMajority(list, set, subject))).toBe(expected);
        }
      ),
      { numRuns: 1000 }
    );
  });

  it('tallyApprovals keeps only what counts', () => {
    const set = managers.slice(0, 5).map((m) => m.signingPublic);
    const pile = [
      good[0]!,
      good[0]!,
      approve(outsider.signingSeed, subject),
      approve(managers[1]!.signingSeed, other),
      good[2]!
    ];
    const t = tallyApprovals(pile, set, subject);
    expect(t.valid).toEqual([good[0], good[2]]);
    expect(t.rejected.map((r) => r.error.code)).toEqual([
      'account/duplicate-approval',
      'account/not-manager',
      'account/wrong-subject'
    ]);
    expect(t.majority).toBe(false);
    expect(tallyApprovals([...pile, good[3]!], set, subject).majority).toBe(true);
    expect(checkMajority(tallyApprovals([...pile, good[3]!], set, subject).valid, set, subject).ok).toBe(
      true
    );
  });
});

describe('rank → stake', () => {
  it('has a stake for every rank, growing with seniority, and refuses unknown ranks', () => {
    const stakes = RANKS.map(stakeForRank);
    expect(stakes).toEqual([1, 2, 3, 5, 8]);
    expect(stakes.every((s) => s >= MIN_WRITE_STAKE)).toBe(true);
    expect(stakeForRank('intern')).toBeLessThan(MIN_VALIDATOR_STAKE);
    expect(stakeForRank('medical-officer')).toBeGreaterThanOrEqual(MIN_VALIDATOR_STAKE);
    for (const bad of ['chief', '', 'toString', '__proto__', 'Consultant'])
      expect(() => stakeForRank(bad)).toThrowError(/account\/bad-rank/);
  });
});
