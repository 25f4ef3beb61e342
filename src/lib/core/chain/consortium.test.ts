/**
 * Consortium rules: registration and recovery with manager approvals, rank and hospital changes,
 * index batches with checkpoints, break-glass. Invalid variants are generated and each must be
 * refused with its own named error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ErrorCode } from '../errors.js';
import { signRecovery, recoverySubject } from '../accounts/recovery.js';
import { registrationSubject, signRegistration, type Registration } from '../accounts/registration.js';
import { makeValidatorSet, validatorSetHash } from '../consensus/types.js';
import { createRevocation } from '../consent/revocation.js';
import {
  AUTHORITY,
  DAY,
  DOCTOR,
  GENESIS,
  HOSPITAL,
  MANAGERS,
  PATIENT,
  T0,
  actor,
  commitConsortiumTx,
  CONSORTIUM_CTX,
  managerApprovals,
  world,
  type Actor
} from './fixtures.node.js';
import {
  changeSubject,
  hospitalChangeBody,
  hospitalChangeCodec,
  makeRecoverTx,
  makeRegisterTx,
  rankChangeBody,
  rankChangeCodec,
  recoverTxCodec,
  registerTxCodec
} from './tx/accounts.js';
import { createIndexBatch, indexBatchCodec, indexEntryCodec } from './tx/index-batch.js';
import { breakGlassCodec, createBreakGlass } from './tx/break-glass.js';
import { authorityJoinCodec, createAuthorityJoin } from './tx/authority-join.js';
import { makeRevokeTx, revokeTxCodec } from './tx/consent.js';
import { buildBlock, verifyBlock, verifyTx, type ChainParams } from './rules/block.js';
import { account, hospital, validatorSetOf } from './rules/lookup.js';
import { ADDED_HOSPITALS_LIST } from './rules/added-hospitals.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from './header.js';
import { genesisHeader, hospitalGenesisFrom, hospitalGenesisOf } from './genesis.js';
import { NS, readList, type ChainState } from './store.js';

const W = world();
const PARAMS: ChainParams = { chainId: CONSORTIUM_CHAIN_ID, config: { kind: 'consortium' } };
const RUNS = 10;

function code(s: ChainState, tx: Uint8Array): string {
  const v = verifyTx(s, tx, CONSORTIUM_CTX);
  return v.ok ? 'ok' : v.error.code;
}

function doctorRequest(a: Actor, hospitalId = HOSPITAL): Registration {
  return signRegistration(
    {
      role: 'doctor',
      signingPublic: a.keys.signingPublic,
      encryptionPublic: a.keys.encryptionPublic,
      created: T0,
      profile: {
        name: 'Dr. A. Rahman',
        speciality: 'Endocrinology',
        degree: 'MBBS, FCPS',
        hospitalId,
        rank: 'registrar'
      }
    },
    a.keys.signingSeed
  );
}

describe('registration', () => {
  it('a majority of managers registers a doctor with the stake of their rank', () => {
    const a = actor('new-doctor');
    const req = doctorRequest(a);
    const s = commitConsortiumTx(
      W.consortium,
      registerTxCodec.encode(makeRegisterTx(req, managerApprovals(registrationSubject(req))))
    );
    expect(account(s, a.keys.signingPublic)).toMatchObject({ role: 'doctor', hospital: HOSPITAL, stake: 3 });
  });

  it('approvals from non-managers, fewer than a majority, duplicated, or for another subject are refused', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('non-manager', 'one', 'none', 'duplicate', 'other-subject'),
        fc.string({ maxLength: 6 }),
        (how, label) => {
          const a = actor(`d:${label}`);
          const req = doctorRequest(a);
          const subj = registrationSubject(req);
          const [m0, m1] = MANAGERS;
          const list =
            how === 'non-manager'
              ? managerApprovals(subj, [m0!, actor(`impostor:${label}`)])
              : how === 'one'
                ? managerApprovals(subj, [m1!])
                : how === 'none'
                  ? []
                  : how === 'duplicate'
                    ? managerApprovals(subj, [m0!, m0!])
                    : managerApprovals(new Uint8Array(32), [m0!, m1!]);
          const expected: Record<string, ErrorCode> = {
            'non-manager': 'account/not-manager',
            one: 'account/not-majority',
            none: 'account/not-majority',
            duplicate: 'account/duplicate-approval',
            'other-subject': 'account/wrong-subject' as ErrorCode
          };
          expect(code(W.consortium, registerTxCodec.encode(makeRegisterTx(req, list)))).toBe(expected[how]);
        }
      ),
      { numRuns: RUNS * 2 }
    );
  });

  it('a forged request, an existing key or an unknown hospital is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), (i) => {
        const a = actor(`forge:${i}`);
        const req = doctorRequest(a);
        const sig = req.sig.slice();
        sig[i] = sig[i]! ^ 0x10;
        const forged = { ...req, sig } as Registration;
        expect(
          code(
            W.consortium,
            registerTxCodec.encode(makeRegisterTx(forged, managerApprovals(registrationSubject(forged))))
          )
        ).toBe('crypto/bad-signature');
      }),
      { numRuns: RUNS }
    );
    const again = doctorRequest(DOCTOR);
    expect(
      code(
        W.consortium,
        registerTxCodec.encode(makeRegisterTx(again, managerApprovals(registrationSubject(again))))
      )
    ).toBe('account/exists');
    const nowhere = doctorRequest(actor('nowhere'), 'no-such-hospital');
    expect(
      code(
        W.consortium,
        registerTxCodec.encode(makeRegisterTx(nowhere, managerApprovals(registrationSubject(nowhere))))
      )
    ).toBe('chain/unknown-hospital');
  });
});

describe('recovery', () => {
  it('rotates the account; afterwards the old key is refused and the new one acts', () => {
    const fresh = actor('patient-1-new-device');
    const rec = signRecovery(
      {
        account: PATIENT.keys.signingPublic,
        newSigningPublic: fresh.keys.signingPublic,
        newEncryptionPublic: fresh.keys.encryptionPublic,
        created: T0
      },
      fresh.keys.signingSeed
    );
    const tooFew = makeRecoverTx(rec, managerApprovals(recoverySubject(rec), MANAGERS.slice(0, 1)));
    expect(code(W.consortium, recoverTxCodec.encode(tooFew))).toBe('account/not-majority');
    const s = commitConsortiumTx(
      W.consortium,
      recoverTxCodec.encode(makeRecoverTx(rec, managerApprovals(recoverySubject(rec))))
    );
    expect(account(s, PATIENT.keys.signingPublic)?.status).toBe('rotated');
    expect(account(s, fresh.keys.signingPublic)).toMatchObject({ status: 'active', role: 'patient' });
    const oldRev = makeRevokeTx(
      createRevocation({
        seed: PATIENT.seed,
        target: { doctor: DOCTOR.keys.signingPublic },
        seq: 50,
        time: T0
      })
    );
    expect(code(s, revokeTxCodec.encode(oldRev))).toBe('account/revoked');
    const newRev = makeRevokeTx(
      createRevocation({ seed: fresh.seed, target: { doctor: DOCTOR.keys.signingPublic }, seq: 51, time: T0 })
    );
    expect(code(s, revokeTxCodec.encode(newRev))).toBe('ok');
    // A second recovery of the same old key is refused.
    expect(code(s, recoverTxCodec.encode(makeRecoverTx(rec, managerApprovals(recoverySubject(rec)))))).toBe(
      'chain/replayed-tx'
    );
  });
});

describe('rank and hospital changes', () => {
  it('a rank change needs a majority and sets the stake', () => {
    const body = rankChangeBody(DOCTOR.keys.signingPublic, 'professor', T0);
    const ok = { ...body, approvals: managerApprovals(changeSubject(body)) };
    const s = commitConsortiumTx(W.consortium, rankChangeCodec.encode(ok));
    expect(account(s, DOCTOR.keys.signingPublic)).toMatchObject({ rank: 'professor', stake: 8 });
    const few = {
      ...body,
      time: T0 + 1,
      approvals: managerApprovals(changeSubject({ ...body, time: T0 + 1 }), MANAGERS.slice(0, 1))
    };
    expect(code(W.consortium, rankChangeCodec.encode(few))).toBe('account/not-majority');
    const outsider = {
      ...body,
      approvals: managerApprovals(changeSubject(body), [MANAGERS[0]!, actor('outsider')])
    };
    expect(code(W.consortium, rankChangeCodec.encode(outsider))).toBe('account/not-manager');
  });

  it('an added hospital votes from its own authority-join on; removing it takes its vote away', () => {
    const auth = actor('authority-sylhet');
    const body = hospitalChangeBody({
      action: 'add',
      hospital: 'sylhet-osmani',
      name: 'Sylhet Osmani',
      authority: auth.keys.signingPublic,
      authorityEncryption: auth.keys.encryptionPublic,
      time: T0
    });
    const tx = hospitalChangeCodec.encode({ ...body, approvals: managerApprovals(changeSubject(body)) });
    const { header } = genesisHeader(GENESIS);
    const prev = { ...header, stateRoot: W.consortium.root() as typeof header.stateRoot };
    const proposer = AUTHORITY[HOSPITAL]!.keys.signingPublic;
    const built = buildBlock(prev, W.consortium, [tx], T0 + DAY, proposer, PARAMS);
    expect(built.dropped).toEqual([]);
    // Added, but no vote yet: a hospital whose node has not started must not weigh on the consortium.
    expect(validatorSetOf(built.state).validators).toHaveLength(2);
    expect(built.block.header.nextValidatorsHash).toEqual(built.block.header.validatorsHash);
    expect(verifyBlock(prev, W.consortium, built.block, PARAMS)).toEqual({ ok: true });

    const join = (who: Actor, hospitalId = 'sylhet-osmani') =>
      authorityJoinCodec.encode(createAuthorityJoin(who.keys.signingSeed, hospitalId));
    expect(code(built.state, join(actor('impostor')))).toBe('chain/not-authority');
    expect(code(built.state, join(auth, 'nowhere'))).toBe('chain/unknown-hospital');
    expect(code(built.state, join(AUTHORITY[HOSPITAL]!, HOSPITAL))).toBe('chain/bad-tx');
    const joined = buildBlock(built.block.header, built.state, [join(auth)], T0 + DAY + 1, proposer, PARAMS);
    expect(joined.dropped).toEqual([]);
    expect(validatorSetOf(joined.state).validators).toHaveLength(3);
    expect(joined.block.header.nextValidatorsHash).toEqual(validatorSetHash(validatorSetOf(joined.state)));
    expect(joined.block.header.nextValidatorsHash).not.toEqual(joined.block.header.validatorsHash);
    expect(code(joined.state, join(auth))).toBe('chain/replayed-tx');
    const rm = hospitalChangeBody({ ...body, action: 'remove', time: T0 + 2 });
    const removed = commitConsortiumTx(
      joined.state,
      hospitalChangeCodec.encode({ ...rm, approvals: managerApprovals(changeSubject(rm)) })
    );
    expect(validatorSetOf(removed).validators).toHaveLength(2);
    expect(hospital(removed, 'sylhet-osmani')?.active).toBe(false);

    // Listed among the hospitals added after genesis, in order.
    expect(
      readList(built.state, NS.meta, ADDED_HOSPITALS_LIST).map((b) => new TextDecoder().decode(b))
    ).toEqual(['sylhet-osmani']);
    // The added hospital's own chain: derived from its entry, its authority the only validator.
    const entry = hospital(built.state, 'sylhet-osmani')!;
    const g = hospitalGenesisOf(GENESIS, entry);
    expect(g).toMatchObject({ chainId: hospitalChainId('sylhet-osmani'), hospital: 'sylhet-osmani' });
    expect(g.validators).toEqual([{ key: auth.keys.signingPublic, weight: 1 }]);
    expect(genesisHeader(g).header.validatorsHash).toEqual(
      validatorSetHash(makeValidatorSet([{ key: auth.keys.signingPublic, weight: 1 }]))
    );
    // A founding hospital's chain is the one its genesis document gives, whatever entry is passed.
    const founding = hospital(W.consortium, HOSPITAL)!;
    expect(hospitalGenesisOf(GENESIS, { ...founding, authority: auth.keys.signingPublic })).toEqual(
      hospitalGenesisFrom(GENESIS, HOSPITAL)
    );

    const few = { ...body, approvals: managerApprovals(changeSubject(body), MANAGERS.slice(2)) };
    expect(code(W.consortium, hospitalChangeCodec.encode(few))).toBe('account/not-majority');
    const rmBody = hospitalChangeBody({
      ...body,
      action: 'remove',
      hospital: 'chittagong-general',
      authority: auth.keys.signingPublic
    });
    expect(
      code(
        W.consortium,
        hospitalChangeCodec.encode({ ...rmBody, approvals: managerApprovals(changeSubject(rmBody)) })
      )
    ).toBe('chain/not-authority');
  });
});

describe('index batches', () => {
  const auth = AUTHORITY[HOSPITAL]!;
  const entry = (height: number, i: number) => ({
    tag: new Uint8Array(32).fill(i % 3),
    entry: {
      hospital: HOSPITAL,
      height,
      txIndex: i,
      mhrHash: new Uint8Array(32).fill(i),
      blobRef: `sha256:${i}`
    }
  });
  const batch = (
    signer: Actor,
    height: number,
    entries = [entry(height, 1), entry(height, 2)],
    hospital = HOSPITAL
  ) =>
    indexBatchCodec.encode(
      createIndexBatch(signer.keys.signingSeed, signer.keys.signingPublic, {
        hospital,
        checkpoint: { height, headerHash: new Uint8Array(32).fill(height & 0xff) },
        entries
      })
    );

  it('files entries under their tags and advances the checkpoint', () => {
    const s = commitConsortiumTx(
      commitConsortiumTx(W.consortium, batch(auth, 5)),
      batch(auth, 9, [entry(7, 4)])
    );
    expect(
      readList(s, NS.index, new Uint8Array(32).fill(1)).map((b) => indexEntryCodec.decode(b).txIndex)
    ).toEqual([1, 4]);
    expect(readList(s, NS.index, new Uint8Array(32).fill(2))).toHaveLength(1);
  });

  it('refuses a non-authority, a checkpoint that does not advance, entries outside it, a bad signature', () => {
    const s = commitConsortiumTx(W.consortium, batch(auth, 5));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), (h) => {
        expect(code(s, batch(auth, h))).toBe('chain/bad-checkpoint');
        expect(code(s, batch(AUTHORITY['chittagong-general']!, 10 + h))).toBe('chain/not-authority');
        expect(code(s, batch(auth, 10, [entry(h, 1)]))).toBe('chain/bad-checkpoint');
        expect(code(s, batch(auth, 10 + h, undefined, 'no-such-hospital'))).toBe('chain/unknown-hospital');
      }),
      { numRuns: RUNS }
    );
    const b = indexBatchCodec.decode(batch(auth, 7));
    const forged = indexBatchCodec.encode({ ...b, checkpoint: { ...b.checkpoint, height: 8 } });
    expect(code(s, forged)).toBe('crypto/bad-signature');
  });
});

describe('break-glass', () => {
  it('needs a distinct registered co-signer; both signatures must verify', () => {
    const cosigner = actor('doctor-cosigner');
    const body = {
      doctor: DOCTOR.keys.signingPublic,
      patient: PATIENT.keys.signingPublic,
      reason: 'unconscious, suspected hypoglycaemia',
      cosigner: cosigner.keys.signingPublic,
      time: T0,
      durationMs: 3_600_000
    };
    const stranger = breakGlassCodec.encode(
      createBreakGlass(DOCTOR.keys.signingSeed, cosigner.keys.signingSeed, body)
    );
    expect(code(W.consortium, stranger)).toBe('chain/not-registered');
    const self = breakGlassCodec.encode(
      createBreakGlass(DOCTOR.keys.signingSeed, DOCTOR.keys.signingSeed, {
        ...body,
        cosigner: DOCTOR.keys.signingPublic
      })
    );
    expect(code(W.consortium, self)).toBe('chain/bad-tx');
    const other = actor('doctor-other-hospital');
    const good = breakGlassCodec.encode(
      createBreakGlass(DOCTOR.keys.signingSeed, other.keys.signingSeed, {
        ...body,
        cosigner: other.keys.signingPublic
      })
    );
    const s = commitConsortiumTx(W.consortium, good);
    expect(readList(s, NS.breakGlass, PATIENT.keys.signingPublic)).toEqual([good]);
    const g = breakGlassCodec.decode(good);
    expect(code(W.consortium, breakGlassCodec.encode({ ...g, reason: 'curiosity' }))).toBe(
      'crypto/bad-signature'
    );
  });
});
