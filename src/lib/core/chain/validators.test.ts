/**
 * A hospital chain's validator set follows the consortium: registrations, recoveries and rank changes
 * rewrite the hospital's set in consortium state (rules/hospital-set.ts); a `sync-validators`
 * transaction on the hospital chain adopts it, and the block's nextValidatorsHash names the new set,
 * so a light client follows the change with a change proof. Invalid syncs are generated and refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHAIN_LIMITS } from '../constants.js';
import { MIN_VALIDATOR_STAKE, RANKS, stakeForRank, type Rank } from '../accounts/rank.js';
import { recoverySubject, signRecovery } from '../accounts/recovery.js';
import { registrationSubject, signRegistration, type Registration } from '../accounts/registration.js';
import { makeValidatorSet, validatorSetHash } from '../consensus/types.js';
import {
  DAY,
  DOCTOR,
  GENESIS,
  HOSPITAL,
  HOSPITALS,
  NODES,
  OTHER_HOSPITAL,
  T0,
  actor,
  commitConsortiumTx,
  CONSORTIUM_CTX,
  managerApprovals,
  world,
  type Actor
} from './fixtures.node.js';
import { changeProofCodec, makeChangeProof } from './change-proof.js';
import { consortiumGenesisState, genesisHeader, hospitalGenesisFrom } from './genesis.js';
import {
  makeRecoverTx,
  makeRegisterTx,
  rankChangeBody,
  rankChangeCodec,
  recoverTxCodec,
  registerTxCodec,
  changeSubject
} from './tx/accounts.js';
import { makeSyncValidators, syncValidatorsCodec } from './tx/sync-validators.js';
import type { Header } from './header.js';
import {
  applyCertifiedBlock,
  applyTx,
  buildBlock,
  verifyBlock,
  verifyTx,
  type ChainParams
} from './rules/block.js';
import { hospitalSetOf, putHospitalSet, SERVER_NODE_STAKE, validatorSyncFor } from './rules/hospital-set.js';
import { validatorSetOf } from './rules/lookup.js';
import type { ChainState } from './store.js';
import type { TxContext } from './rules/context.js';

const W = world();
const PROPOSER = NODES[HOSPITAL]![3]!.keys.signingPublic;
const RUNS = 12;
let generated = 0;

function rankChange(s: ChainState, doctor: Actor, rank: Rank, time = T0): ChainState {
  const body = rankChangeBody(doctor.keys.signingPublic, rank, time);
  return commitConsortiumTx(
    s,
    rankChangeCodec.encode({ ...body, approvals: managerApprovals(changeSubject(body)) })
  );
}

function register(s: ChainState, req: Registration): ChainState {
  return commitConsortiumTx(
    s,
    registerTxCodec.encode(makeRegisterTx(req, managerApprovals(registrationSubject(req))))
  );
}

const doctorReq = (a: Actor, rank: Rank, hospitalId = HOSPITAL) =>
  signRegistration(
    {
      role: 'doctor',
      signingPublic: a.keys.signingPublic,
      encryptionPublic: a.keys.encryptionPublic,
      created: T0,
      profile: { name: 'Dr. N. Islam', speciality: 'Cardiology', degree: 'MBBS', hospitalId, rank }
    },
    a.keys.signingSeed
  );

const nodeReq = (a: Actor, nodeRole: 'validator' | 'mirror' | 'follower') =>
  signRegistration(
    {
      role: 'node',
      signingPublic: a.keys.signingPublic,
      encryptionPublic: a.keys.encryptionPublic,
      created: T0,
      hospitalId: HOSPITAL,
      nodeRole,
      peerId: '12D3KooWExample'
    },
    a.keys.signingSeed
  );

const params = (c: ChainState, consortiumHeight?: number): ChainParams => ({
  ...W.params,
  config: { kind: 'hospital', hospitalId: HOSPITAL, consortium: c, consortiumHeight }
});

const weightIn = (set: { key: Uint8Array; weight: number }[], a: Actor) =>
  set.find((x) => Buffer.from(x.key).equals(Buffer.from(a.keys.signingPublic)))?.weight ?? 0;

/** One hospital block holding the sync the consortium state `c` calls for. */
function syncBlock(
  c: ChainState,
  consortiumHeight: number,
  prev = W.hospitalHeader,
  state = W.hospitalState
) {
  const tx = validatorSyncFor(c, state, HOSPITAL, consortiumHeight);
  expect(tx).not.toBeNull();
  const built = buildBlock(
    prev,
    state,
    [syncValidatorsCodec.encode(tx!)],
    prev.time + DAY,
    PROPOSER,
    params(c)
  );
  expect(built.dropped).toEqual([]);
  return built;
}

describe('the consortium keeps each hospital chain validator set', () => {
  it('at genesis it is the hospital genesis set, so no sync is due', () => {
    const c = consortiumGenesisState(GENESIS);
    for (const h of HOSPITALS) {
      const g = genesisHeader(hospitalGenesisFrom(GENESIS, h));
      expect(validatorSetHash(makeValidatorSet(hospitalSetOf(c, h)))).toEqual(g.header.nextValidatorsHash);
      expect(validatorSyncFor(c, g.state, h, 0)).toBeNull();
    }
  });

  it('a rank change sets the doctor’s weight by rank; below MIN_VALIDATOR_STAKE they leave the set', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RANKS), fc.constantFrom(...RANKS), (r1, r2) => {
        let c = rankChange(W.consortium, DOCTOR, r1, T0);
        const w1 = stakeForRank(r1) >= MIN_VALIDATOR_STAKE ? stakeForRank(r1) : 0;
        expect(weightIn(hospitalSetOf(c, HOSPITAL), DOCTOR)).toBe(w1);
        c = rankChange(c, DOCTOR, r2, T0 + 1);
        const w2 = stakeForRank(r2) >= MIN_VALIDATOR_STAKE ? stakeForRank(r2) : 0;
        expect(weightIn(hospitalSetOf(c, HOSPITAL), DOCTOR)).toBe(w2);
        // the other hospital's set never moves
        expect(hospitalSetOf(c, OTHER_HOSPITAL)).toEqual(hospitalSetOf(W.consortium, OTHER_HOSPITAL));
      }),
      { numRuns: 25 }
    );
  });

  it('registrations approved on the consortium add registrars and up, and validator nodes', () => {
    let c = W.consortium;
    const reg = actor('registrar-new');
    const intern = actor('intern-new');
    const server = actor('server-new');
    const mirror = actor('mirror-new');
    c = register(c, doctorReq(reg, 'registrar'));
    c = register(c, doctorReq(intern, 'intern'));
    c = register(c, nodeReq(server, 'validator'));
    c = register(c, nodeReq(mirror, 'mirror'));
    const set = hospitalSetOf(c, HOSPITAL);
    expect(weightIn(set, reg)).toBe(3);
    expect(weightIn(set, intern)).toBe(0);
    expect(weightIn(set, server)).toBe(SERVER_NODE_STAKE);
    expect(weightIn(set, mirror)).toBe(0);
    expect(set).toHaveLength(4 + 2);
  });

  it('a full set (256) refuses one more member but still registers non-members', () => {
    const full = Array.from({ length: CHAIN_LIMITS.maxValidators }, (_, i) => ({
      key: actor(`filler:${i}`).keys.signingPublic,
      weight: 1
    }));
    const c = putHospitalSet(W.consortium, HOSPITAL, full);
    const req = doctorReq(actor('one-too-many'), 'consultant');
    const v = verifyTx(
      c,
      registerTxCodec.encode(makeRegisterTx(req, managerApprovals(registrationSubject(req)))),
      CONSORTIUM_CTX
    );
    generated++;
    expect(v.ok ? 'ok' : v.error.code).toBe('chain/list-full');
    expect(() => register(c, doctorReq(actor('an-intern'), 'intern'))).not.toThrow();
  });

  it('a recovery moves the member’s weight to the new key', () => {
    let c = rankChange(W.consortium, DOCTOR, 'professor');
    const fresh = actor('doctor-new-device');
    const rec = signRecovery(
      {
        account: DOCTOR.keys.signingPublic,
        newSigningPublic: fresh.keys.signingPublic,
        newEncryptionPublic: fresh.keys.encryptionPublic,
        created: T0
      },
      fresh.keys.signingSeed
    );
    c = commitConsortiumTx(
      c,
      recoverTxCodec.encode(makeRecoverTx(rec, managerApprovals(recoverySubject(rec))))
    );
    const set = hospitalSetOf(c, HOSPITAL);
    expect(weightIn(set, DOCTOR)).toBe(0);
    expect(weightIn(set, fresh)).toBe(8);
  });
});

describe('sync-validators on the hospital chain', () => {
  it('a rank change on the consortium changes the hospital set and its nextValidatorsHash', () => {
    const c1 = rankChange(W.consortium, DOCTOR, 'professor');
    const b1 = syncBlock(c1, 7);
    const h1 = b1.block.header;
    expect(h1.validatorsHash).toEqual(W.hospitalHeader.nextValidatorsHash);
    expect(h1.nextValidatorsHash).not.toEqual(W.hospitalHeader.nextValidatorsHash);
    const newSet = validatorSetOf(b1.state);
    expect(weightIn(newSet.validators, DOCTOR)).toBe(8);
    expect(validatorSetHash(newSet)).toEqual(h1.nextValidatorsHash);
    expect(verifyBlock(W.hospitalHeader, W.hospitalState, b1.block, params(c1, 7))).toEqual({ ok: true });
    // What a light client receives: header + certificate + the set the header names.
    const proof = makeChangeProof(h1, { ...fakeCert(h1) }, newSet);
    expect(changeProofCodec.decode(changeProofCodec.encode(proof)).nextSet).toEqual(newSet);

    // The next block is signed by the new set; demoting the doctor again syncs back.
    const c2 = rankChange(c1, DOCTOR, 'intern', T0 + 1);
    const b2 = syncBlock(c2, 9, h1, b1.state);
    expect(b2.block.header.validatorsHash).toEqual(h1.nextValidatorsHash);
    expect(b2.block.header.nextValidatorsHash).toEqual(W.hospitalHeader.nextValidatorsHash);
    expect(verifyBlock(h1, b1.state, b2.block, params(c2))).toEqual({ ok: true });
  });

  it('refuses a set the consortium did not assign, another hospital, no change, an unseen height, a replay', () => {
    const c = rankChange(W.consortium, DOCTOR, 'professor');
    const good = hospitalSetOf(c, HOSPITAL);
    const ctx = (time = T0 + DAY): TxContext => ({ ...params(c, 10), height: 1, time, txIndex: 0 });
    const codeOf = (s: ChainState, tx: Uint8Array, x = ctx()) => {
      const v = verifyTx(s, tx, x);
      return v.ok ? 'ok' : v.error.code;
    };
    expect(codeOf(W.hospitalState, syncValidatorsCodec.encode(makeSyncValidators(HOSPITAL, 10, good)))).toBe(
      'ok'
    );
    fc.assert(
      fc.property(
        fc.constantFrom('weight', 'extra', 'missing', 'stale'),
        fc.integer({ min: 0, max: good.length - 1 }),
        fc.integer({ min: 1, max: 100 }),
        (how, i, w) => {
          generated++;
          let set = good.map((x) => ({ ...x }));
          if (how === 'weight') set[i]!.weight += w;
          if (how === 'extra') set.push({ key: actor(`extra:${w}`).keys.signingPublic, weight: w });
          // (removing the doctor again would be the current set: a no-change, tested below)
          if (how === 'missing')
            set = set.filter(
              (x) => !Buffer.from(x.key).equals(Buffer.from(NODES[HOSPITAL]![i % 4]!.keys.signingPublic))
            );
          // stale: the set before the rank change, but with some weight moved so it is not the current one
          if (how === 'stale')
            set = hospitalSetOf(W.consortium, HOSPITAL).map((x, j) => ({
              ...x,
              weight: x.weight + (j === 0 ? w : 0)
            }));
          const tx = syncValidatorsCodec.encode(makeSyncValidators(HOSPITAL, 10, set));
          expect(codeOf(W.hospitalState, tx)).toBe('chain/wrong-validators');
        }
      ),
      { numRuns: RUNS * 3 }
    );
    fc.assert(
      fc.property(fc.integer({ min: 11, max: 10 ** 9 }), (h) => {
        generated += 3;
        const ahead = syncValidatorsCodec.encode(makeSyncValidators(HOSPITAL, h, good));
        expect(codeOf(W.hospitalState, ahead)).toBe('chain/wrong-validators');
        const other = syncValidatorsCodec.encode(makeSyncValidators(OTHER_HOSPITAL, h % 10, good));
        expect(codeOf(W.hospitalState, other)).toBe('chain/wrong-chain');
        const same = syncValidatorsCodec.encode(
          makeSyncValidators(HOSPITAL, h % 10, validatorSetOf(W.hospitalState).validators)
        );
        expect(codeOf(W.hospitalState, same)).toBe('chain/bad-tx');
      }),
      { numRuns: RUNS }
    );
    const tx = syncValidatorsCodec.encode(makeSyncValidators(HOSPITAL, 10, good));
    const after = applyTx(W.hospitalState, tx, ctx());
    generated++;
    expect(codeOf(after, tx)).toBe('chain/replayed-tx');
  });

  it('a certified sync block still applies after the consortium moved on again', () => {
    const c1 = rankChange(W.consortium, DOCTOR, 'professor');
    const b1 = syncBlock(c1, 3);
    const later = rankChange(c1, DOCTOR, 'registrar', T0 + 5);
    const full = verifyBlock(W.hospitalHeader, W.hospitalState, b1.block, params(later));
    expect(full.ok ? 'ok' : full.error.code).toBe('chain/wrong-validators');
    const r = applyCertifiedBlock(W.hospitalHeader, W.hospitalState, b1.block, params(later));
    expect(r.ok && r.state.root()).toEqual(b1.block.header.stateRoot);
  });
});

/** Shape-only certificate for the change-proof codec round trip (light/ verifies real ones). */
function fakeCert(h: Header) {
  return {
    t: 'cc/commit' as const,
    v: 1 as const,
    chainId: h.chainId,
    height: h.height,
    round: 0,
    blockId: new Uint8Array(32),
    signatures: []
  };
}

afterAll(() => {
  expect(generated).toBeGreaterThanOrEqual(40);
});
