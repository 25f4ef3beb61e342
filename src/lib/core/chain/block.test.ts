/**
 * Block rules: every header field a proposer could get wrong is generated wrong and refused with its
 * own named error; a block holding one invalid transaction is refused with that transaction's error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ErrorCode } from '../errors.js';
import { DAY, NODES, T0, actor, record, world } from './fixtures.node.js';
import { appendRecordCodec } from './tx/append-record.js';
import { blockCodec, makeBlock, type Block } from './block.js';
import { headerHash, type Header } from './header.js';
import { applyBlock, buildBlock, executeBlock, verifyBlock } from './rules/block.js';
import { txRoot } from '../state/tx-merkle.js';

const W = world();
const PROPOSER = NODES['dhaka-medical']![2]!.keys.signingPublic;
const RUNS = 15;

function valid(n = 2) {
  const txs = Array.from({ length: n }, () => appendRecordCodec.encode(record(W.grantId)));
  return buildBlock(W.hospitalHeader, W.hospitalState, txs, T0 + DAY, PROPOSER, W.params);
}

const BUILT = valid(3);
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function expectCode(block: Block, code: ErrorCode) {
  const v = verifyBlock(W.hospitalHeader, W.hospitalState, block, W.params);
  expect(v.ok ? 'ok' : v.error.code).toBe(code);
}

const withHeader = (patch: Partial<Header>): Block => ({
  ...BUILT.block,
  header: { ...BUILT.block.header, ...patch }
});

describe('hospital chain blocks', () => {
  it('a built block verifies, round-trips through its codec, and applies to the same root', () => {
    expect(BUILT.dropped).toEqual([]);
    const again = blockCodec.decode(blockCodec.encode(BUILT.block));
    expect(verifyBlock(W.hospitalHeader, W.hospitalState, again, W.params)).toEqual({ ok: true });
    const { state, header } = applyBlock(W.hospitalHeader, W.hospitalState, again, W.params);
    expect(state.root()).toEqual(header.stateRoot);
    expect(header.parent).toEqual(headerHash(W.hospitalHeader));
  });

  it('wrong parent → chain/wrong-parent', () => {
    fc.assert(
      fc.property(hash32, (parent) => expectCode(withHeader({ parent }), 'chain/wrong-parent')),
      { numRuns: RUNS }
    );
  });
  it('wrong height → chain/wrong-height', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 9 }).filter((h) => h !== 1),
        (height) => expectCode(withHeader({ height }), 'chain/wrong-height')
      ),
      { numRuns: RUNS }
    );
  });
  it('time not after the parent → chain/wrong-time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: T0 }), (time) =>
        expectCode(withHeader({ time }), 'chain/wrong-time')
      ),
      { numRuns: RUNS }
    );
  });
  it('wrong state root → chain/wrong-state-root', () => {
    fc.assert(
      fc.property(hash32, (stateRoot) => expectCode(withHeader({ stateRoot }), 'chain/wrong-state-root')),
      {
        numRuns: RUNS
      }
    );
  });
  it('wrong tx root, or transactions swapped/removed under the same root → chain/wrong-tx-root', () => {
    fc.assert(
      fc.property(hash32, (r) => expectCode(withHeader({ txRoot: r }), 'chain/wrong-tx-root')),
      { numRuns: RUNS }
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.boolean(), (i, drop) => {
        const txs = [...BUILT.block.txs];
        if (drop) txs.splice(i, 1);
        else [txs[i], txs[(i + 1) % 3]] = [txs[(i + 1) % 3]!, txs[i]!];
        expectCode({ ...BUILT.block, txs }, 'chain/wrong-tx-root');
      }),
      { numRuns: RUNS }
    );
  });
  it('wrong validator-set hashes → chain/wrong-validators', () => {
    fc.assert(
      fc.property(hash32, fc.boolean(), (h, current) =>
        expectCode(
          withHeader(current ? { validatorsHash: h } : { nextValidatorsHash: h }),
          'chain/wrong-validators'
        )
      ),
      { numRuns: RUNS }
    );
  });
  it('a proposer outside the validator set → chain/bad-proposer', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), (label) =>
        expectCode(withHeader({ proposer: actor(`p:${label}`).keys.signingPublic }), 'chain/bad-proposer')
      ),
      { numRuns: RUNS }
    );
  });
  it('another chain id → chain/wrong-chain', () => {
    expectCode(withHeader({ chainId: 'hospital:chittagong-general' }), 'chain/wrong-chain');
  });
  it("a block with one invalid or repeated transaction (root recomputed) → that transaction's error", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.constantFrom('stranger', 'repeat'), (at, how) => {
        const txs = [...BUILT.block.txs];
        const extra =
          how === 'stranger'
            ? appendRecordCodec.encode(record(W.grantId, { author: actor('intruder') }))
            : txs[Math.max(0, at - 1)]!;
        txs.splice(how === 'repeat' ? Math.max(1, at) : at, 0, extra);
        const block = makeBlock({ ...BUILT.block.header, txRoot: txRoot(txs) as Header['txRoot'] }, txs);
        const r = executeBlock(W.hospitalHeader, W.hospitalState, block, W.params);
        expect(r.ok ? 'ok' : r.error.code).toBe(
          how === 'stranger' ? 'chain/not-registered' : 'chain/replayed-tx'
        );
      }),
      { numRuns: RUNS }
    );
  });
  it('the next block must name the previous header as parent', () => {
    const { state, header } = applyBlock(W.hospitalHeader, W.hospitalState, BUILT.block, W.params);
    const next = buildBlock(
      header,
      state,
      [appendRecordCodec.encode(record(W.grantId))],
      T0 + DAY,
      PROPOSER,
      W.params
    );
    expect(verifyBlock(header, state, next.block, W.params)).toEqual({ ok: true });
    expect(next.block.header.time).toBeGreaterThan(header.time);
    const v = verifyBlock(W.hospitalHeader, W.hospitalState, next.block, W.params);
    expect(v.ok ? 'ok' : v.error.code).toBe('chain/wrong-height');
  });
});
