/**
 * Applying certified blocks (rules/block.ts applyCertifiedBlock): a hospital block that was valid when
 * its validators committed it stays appliable after the consortium moved on — the grant expired, was
 * revoked, the author was rotated away — while everything the chain itself decides (state root, tx
 * root, signatures inside the transactions, replays, the certificate) is still refused when wrong.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TAGS } from '../constants.js';
import { sign } from '../crypto/ed25519.js';
import { createRevocation } from '../consent/revocation.js';
import {
  makeCommitCertificate,
  signVote,
  type CommitCertificate,
  type UnsignedVote
} from '../consensus/types.js';
import { txRoot } from '../state/tx-merkle.js';
import {
  DAY,
  DOCTOR,
  NODES,
  PATIENT,
  T0,
  account,
  actor,
  record,
  withAccount,
  world
} from './fixtures.node.js';
import type { Actor } from './fixtures.node.js';
import { appendRecordCodec, createAppendRecord } from './tx/append-record.js';
import { makeRevokeTx } from './tx/consent.js';
import { blockId, makeBlock, type Block } from './block.js';
import type { Header } from './header.js';
import { applyCertifiedBlock, buildBlock, executeBlock, type ChainParams } from './rules/block.js';
import { applyRevokeTx } from './rules/consent.js';
import type { ChainState } from './store.js';

const W = world();
const VALIDATORS = NODES['dhaka-medical']!;
const PROPOSER = VALIDATORS[3]!.keys.signingPublic;
const RUNS = 20;

const BUILT = buildBlock(
  W.hospitalHeader,
  W.hospitalState,
  [0, 1, 2].map(() => appendRecordCodec.encode(record(W.grantId))),
  T0 + DAY,
  PROPOSER,
  W.params
);

/** A commit certificate for `block` signed by the given validators (genesis weights 1..4 of 10). */
function certify(block: Block, signers: Actor[] = VALIDATORS.slice(1)): CommitCertificate {
  const votes = signers.map((a) => {
    const unsigned: UnsignedVote = {
      t: TAGS.vote,
      v: 1,
      chainId: block.header.chainId,
      type: 'precommit',
      height: block.header.height,
      round: 0,
      blockId: blockId(block) as UnsignedVote['blockId'],
      validator: a.keys.signingPublic as UnsignedVote['validator']
    };
    return signVote(unsigned, {
      publicKey: a.keys.signingPublic,
      sign: (b) => sign(a.keys.signingSeed, b)
    });
  });
  return makeCommitCertificate(votes);
}

/** The consortium as a node re-syncing later sees it: the grant revoked, or the author rotated. */
function laterConsortium(how: 'revoked-by-doctor' | 'revoked-by-grant' | 'rotated'): ChainState {
  if (how === 'rotated')
    return withAccount(
      W.consortium,
      account(DOCTOR, { role: 'doctor', hospital: 'dhaka-medical', stake: 5, status: 'rotated' })
    );
  const rev = createRevocation({
    seed: PATIENT.seed,
    target: how === 'revoked-by-grant' ? { grant: W.grantId } : { doctor: DOCTOR.keys.signingPublic },
    seq: 50,
    time: T0 + 2 * DAY
  });
  return applyRevokeTx(W.consortium, makeRevokeTx(rev));
}

const paramsWith = (c: ChainState): ChainParams => ({
  ...W.params,
  config: { kind: 'hospital', hospitalId: 'dhaka-medical', consortium: c }
});

function code(r: { ok: boolean; error?: { code: string } }): string {
  return r.ok ? 'ok' : r.error!.code;
}

describe('applyCertifiedBlock', () => {
  it('applies a block that was valid when committed, with or without its certificate', () => {
    expect(BUILT.dropped).toEqual([]);
    const r = applyCertifiedBlock(
      W.hospitalHeader,
      W.hospitalState,
      BUILT.block,
      W.params,
      certify(BUILT.block)
    );
    expect(r.ok && r.state.root()).toEqual(BUILT.block.header.stateRoot);
    expect(code(applyCertifiedBlock(W.hospitalHeader, W.hospitalState, BUILT.block, W.params))).toBe('ok');
  });

  it('stays appliable after the grant is revoked or the author rotated (full execution refuses it)', () => {
    for (const how of ['revoked-by-doctor', 'revoked-by-grant', 'rotated'] as const) {
      const p = paramsWith(laterConsortium(how));
      const full = executeBlock(W.hospitalHeader, W.hospitalState, BUILT.block, p);
      expect(code(full)).toBe(how === 'rotated' ? 'account/revoked' : 'consent/revoked');
      const r = applyCertifiedBlock(W.hospitalHeader, W.hospitalState, BUILT.block, p, certify(BUILT.block));
      expect(code(r)).toBe('ok');
      expect(r.ok && r.state.root()).toEqual(BUILT.block.header.stateRoot);
    }
  });

  it('stays appliable when the grant expired long before the node re-syncs', () => {
    // A record committed on the grant's last valid day; the node re-syncs a year later with the
    // grant's author no longer registered at all (consortium view without the doctor).
    const last = T0 + 90 * DAY - 1;
    const tx = appendRecordCodec.encode(record(W.grantId, { time: last }));
    const b = buildBlock(W.hospitalHeader, W.hospitalState, [tx], last, PROPOSER, W.params);
    expect(b.block.txs).toHaveLength(1);
    const later = buildBlock(W.hospitalHeader, W.hospitalState, [tx], last + 1, PROPOSER, W.params);
    expect(later.dropped.map((d) => d.error.code)).toEqual(['consent/expired']);
    const r = applyCertifiedBlock(
      W.hospitalHeader,
      W.hospitalState,
      b.block,
      paramsWith(laterConsortium('revoked-by-doctor'))
    );
    expect(code(r)).toBe('ok');
  });

  it('still refuses a wrong state root, tx root, parent or next validator set', () => {
    const p = paramsWith(laterConsortium('revoked-by-doctor'));
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        fc.constantFrom('stateRoot', 'txRoot', 'parent', 'nextValidatorsHash'),
        hash,
        (field, value) => {
          const block = { ...BUILT.block, header: { ...BUILT.block.header, [field]: value } as Header };
          const expected = {
            stateRoot: 'chain/wrong-state-root',
            txRoot: 'chain/wrong-tx-root',
            parent: 'chain/wrong-parent',
            nextValidatorsHash: 'chain/wrong-validators'
          }[field];
          expect(code(applyCertifiedBlock(W.hospitalHeader, W.hospitalState, block, p))).toBe(expected);
        }
      ),
      { numRuns: RUNS }
    );
  });

  it('still refuses a forged transaction signature, a replay, or an attestation for another blob', () => {
    const p = paramsWith(laterConsortium('revoked-by-grant'));
    fc.assert(
      fc.property(
        fc.constantFrom('sig', 'replay', 'attestation'),
        fc.integer({ min: 0, max: 63 }),
        (how, i) => {
          const txs = [...BUILT.block.txs];
          if (how === 'replay') txs.push(txs[0]!);
          else {
            const tx = appendRecordCodec.decode(txs[1]!);
            if (how === 'sig') {
              const sig = tx.sig.slice();
              sig[i] = sig[i]! ^ 1;
              txs[1] = appendRecordCodec.encode({ ...tx, sig });
            } else {
              const a = tx.attestations[0]!;
              const other = { ...a, mhrHash: new Uint8Array(32).fill(i) } as typeof a;
              // re-signed by the author, so only the attestation is wrong
              txs[1] = appendRecordCodec.encode(
                createAppendRecord(DOCTOR.keys.signingSeed, DOCTOR.keys.signingPublic, {
                  ...tx,
                  attestations: [other, ...tx.attestations.slice(1)]
                })
              );
            }
          }
          const block = makeBlock({ ...BUILT.block.header, txRoot: txRoot(txs) as Header['txRoot'] }, txs);
          expect(code(applyCertifiedBlock(W.hospitalHeader, W.hospitalState, block, p))).toBe(
            {
              sig: 'crypto/bad-signature',
              replay: 'chain/replayed-tx',
              attestation: 'chain/bad-attestation'
            }[how]
          );
        }
      ),
      { numRuns: RUNS }
    );
  });

  it('refuses a certificate for another block, from outsiders, or with too little weight', () => {
    const other = buildBlock(
      W.hospitalHeader,
      W.hospitalState,
      [appendRecordCodec.encode(record(W.grantId))],
      T0 + DAY,
      PROPOSER,
      W.params
    ).block;
    const cases: CommitCertificate[] = [
      certify(other),
      certify(BUILT.block, [actor('outsider-1'), actor('outsider-2'), VALIDATORS[3]!]),
      // weights 1 + 2 + 3 = 6 of 10: not more than 2/3
      certify(BUILT.block, VALIDATORS.slice(0, 3))
    ];
    for (const cert of cases)
      expect(code(applyCertifiedBlock(W.hospitalHeader, W.hospitalState, BUILT.block, W.params, cert))).toBe(
        'chain/bad-commit'
      );
  });
});
