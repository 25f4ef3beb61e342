import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { setEd25519Backend, sign, signingPublicKey } from '../crypto/ed25519.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { seededRng } from '../crypto/random.js';
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import { isCoreError } from '../errors.js';
import { FUZZ_RUNS } from '../test-support.js';
import {
  commitCertificateCodec,
  consensusMessageCodec,
  evidenceCodec,
  makeCommitCertificate,
  makeEvidence,
  makeValidatorSet,
  quorum,
  signVote,
  validatorSetCodec,
  validatorSetHash,
  verifyCommit,
  verifyEvidence,
  voteCodec,
  type Signer,
  type ValidatorSet,
  type Vote
} from './types.js';
import { proposer, proposerSchedule } from './proposer.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

const rng = seededRng(1);
const seeds = Array.from({ length: 4 }, () => rng(32));
const signers: Signer[] = seeds.map((s) => ({ publicKey: signingPublicKey(s), sign: (b) => sign(s, b) }));
const blockA = rng(32);
const blockB = rng(32);

function precommit(s: Signer, blockId: Uint8Array | null, round = 0): Vote {
  return signVote(
    {
      t: TAGS.vote,
      v: PROTOCOL_VERSION,
      chainId: 'test',
      type: 'precommit',
      height: 5,
      round,
      blockId,
      validator: s.publicKey
    },
    s
  );
}

describe('validator sets', () => {
  it('sorts, hashes stably and rejects duplicates, zero weights and empty sets', () => {
    const set = makeValidatorSet(signers.map((s, i) => ({ key: s.publicKey, weight: i + 1 })));
    const again = makeValidatorSet([...set.validators].reverse());
    expect(validatorSetHash(set)).toEqual(validatorSetHash(again));
    expect(validatorSetCodec.decode(validatorSetCodec.encode(set))).toEqual(set);
    expect(quorum(set)).toBe(7); // total 10: 2/3 is 6.67
    expect(() => makeValidatorSet([])).toThrow(/decode\/schema/);
    expect(() => makeValidatorSet([{ key: signers[0]!.publicKey, weight: 0 }])).toThrow(/decode\/schema/);
    expect(() =>
      makeValidatorSet([
        { key: signers[0]!.publicKey, weight: 1 },
        { key: signers[0]!.publicKey, weight: 2 }
      ])
    ).toThrow(/decode\/schema/);
    expect(() => validatorSetCodec.parse({ validators: [...set.validators].reverse() })).toThrow(/sorted/);
  });

  it('quorum is the least weight strictly above two thirds', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 20 }), (ws) => {
        const set: ValidatorSet = {
          validators: ws.map((weight, i) => ({ key: new Uint8Array(32).fill(i), weight }))
        };
        const total = ws.reduce((a, b) => a + b, 0);
        const q = quorum(set);
        expect(3 * q).toBeGreaterThan(2 * total);
        expect(3 * (q - 1)).toBeLessThanOrEqual(2 * total);
      }),
      { numRuns: 1000 }
    );
  });
});

describe('proposer', () => {
  it('rotates in proportion to weight', () => {
    const set = makeValidatorSet(signers.map((s, i) => ({ key: s.publicKey, weight: [1, 2, 3, 4][i]! })));
    const schedule = proposerSchedule(set);
    expect(schedule.length).toBe(10);
    const counts = set.validators.map((_, i) => schedule.filter((x) => x === i).length);
    expect(counts).toEqual(set.validators.map((x) => x.weight));
    // round r at height h and round 0 at height h + r share a slot; consecutive rounds differ
    expect(proposer(set, 3, 1)).toEqual(proposer(set, 4, 0));
  });

  it('scales large totals to a bounded schedule that keeps every validator', () => {
    const set: ValidatorSet = {
      validators: [1, 1_000_000, 3_333_333].map((weight, i) => ({ key: new Uint8Array(32).fill(i), weight }))
    };
    const schedule = proposerSchedule(set);
    expect(schedule.length).toBeLessThanOrEqual(1024 + 3);
    expect(new Set(schedule).size).toBe(3);
  });
});

describe('commit certificates', () => {
  const set = makeValidatorSet(signers.map((s) => ({ key: s.publicKey, weight: 1 })));
  const votes = signers.map((s) => precommit(s, blockA));

  it('accepts more than 2/3 and round-trips its codec', () => {
    const cert = makeCommitCertificate(votes.slice(0, 3));
    expect(verifyCommit(cert, set, 'test', 5, blockA)).toEqual({ ok: true });
    expect(commitCertificateCodec.decode(commitCertificateCodec.encode(cert))).toEqual(cert);
  });

  it.each([
    ['two thirds exactly is not enough', () => makeCommitCertificate(votes.slice(0, 2)), /2\/3/],
    [
      'duplicates',
      () => {
        const c = makeCommitCertificate(votes.slice(0, 3));
        return { ...c, signatures: [c.signatures[0]!, ...c.signatures] };
      },
      /duplicate/
    ],
    [
      'unknown validator',
      () => {
        const c = makeCommitCertificate(votes);
        return {
          ...c,
          signatures: [
            ...c.signatures.slice(0, 3),
            { validator: new Uint8Array(32).fill(255), sig: c.signatures[0]!.sig }
          ]
        };
      },
      /unknown/
    ],
    [
      'bad signature',
      () => {
        const c = makeCommitCertificate(votes.slice(0, 3));
        const sig = new Uint8Array(c.signatures[1]!.sig);
        sig[3]! ^= 1;
        return { ...c, signatures: c.signatures.map((x, i) => (i === 1 ? { ...x, sig } : x)) };
      },
      /bad signature/
    ],
    ['other block', () => ({ ...makeCommitCertificate(votes), blockId: blockB }), /wrong block/]
  ])('rejects %s with chain/bad-commit', (_name, make, detail) => {
    const r = verifyCommit(make(), set, 'test', 5, blockA);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('chain/bad-commit');
      expect(String(r.error.data.detail)).toMatch(detail);
    }
  });

  it('rejects a certificate whose signatures are for another round', () => {
    const cert = { ...makeCommitCertificate(votes), round: 1 };
    expect(verifyCommit(cert, set, 'test', 5, blockA).ok).toBe(false);
  });
});

describe('evidence', () => {
  const set = makeValidatorSet(signers.map((s) => ({ key: s.publicKey, weight: 1 })));
  it('accepts two conflicting signed votes, in either order given', () => {
    const a = precommit(signers[0]!, blockA);
    const b = precommit(signers[0]!, null);
    const ev = makeEvidence(b, a);
    expect(makeEvidence(a, b)).toEqual(ev);
    expect(verifyEvidence(ev, set)).toEqual({ ok: true });
    expect(evidenceCodec.decode(evidenceCodec.encode(ev))).toEqual(ev);
  });

  it.each([
    ['same vote twice', () => makeEvidence(precommit(signers[0]!, blockA), precommit(signers[0]!, blockA))],
    [
      'different rounds',
      () => makeEvidence(precommit(signers[0]!, blockA), precommit(signers[0]!, blockB, 1))
    ],
    [
      'different validators',
      () => makeEvidence(precommit(signers[0]!, blockA), precommit(signers[1]!, blockB))
    ],
    [
      'a forged signature',
      () => {
        const b = precommit(signers[0]!, blockB);
        return makeEvidence(precommit(signers[0]!, blockA), {
          ...b,
          sig: precommit(signers[1]!, blockB).sig
        });
      }
    ],
    [
      'non-canonical order',
      () => {
        const e = makeEvidence(precommit(signers[0]!, blockA), precommit(signers[0]!, blockB));
        return { ...e, voteA: e.voteB, voteB: e.voteA };
      }
    ]
  ])('rejects %s with chain/bad-evidence', (_n, make) => {
    const r = verifyEvidence(make(), set);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('chain/bad-evidence');
  });

  it('rejects evidence against a non-member', () => {
    const other = makeValidatorSet(signers.slice(1).map((s) => ({ key: s.publicKey, weight: 1 })));
    const r = verifyEvidence(
      makeEvidence(precommit(signers[0]!, blockA), precommit(signers[0]!, blockB)),
      other
    );
    expect(r.ok).toBe(false);
  });
});

describe('decoding untrusted bytes', () => {
  it('arbitrary bytes only ever fail with a named error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        for (const codec of [consensusMessageCodec, voteCodec, commitCertificateCodec, evidenceCodec]) {
          try {
            codec.decode(b);
          } catch (e) {
            expect(isCoreError(e)).toBe(true);
          }
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('a vote decodes through the message codec and a mutated one fails or changes', () => {
    const vote = precommit(signers[2]!, blockA);
    const bytes = voteCodec.encode(vote);
    expect(consensusMessageCodec.decode(bytes)).toEqual(vote);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const m = new Uint8Array(bytes);
        m[i]! ^= x;
        try {
          const d = consensusMessageCodec.decode(m);
          expect(d).not.toEqual(vote);
        } catch (e) {
          expect(isCoreError(e)).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });
});
