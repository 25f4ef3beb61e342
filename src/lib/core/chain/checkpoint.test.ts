/**
 * Index-batch checkpoints are not trusted to the hospital authority's signature alone: the checkpoint
 * must advance, every entry must come from (previous checkpoint, checkpoint], in chain order and once,
 * and a consortium validator that follows the hospital chain's certified headers (ctx view) refuses a
 * checkpoint naming a header other than the certified one — e.g. a hospital that rewrote its chain.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AUTHORITY, DAY, GENESIS, HOSPITAL, NODES, T0, record, world } from './fixtures.node.js';
import { appendRecordCodec } from './tx/append-record.js';
import { createIndexBatch, indexBatchCodec, type IndexBatch } from './tx/index-batch.js';
import { CONSORTIUM_CHAIN_ID, headerHash } from './header.js';
import {
  applyCertifiedBlock,
  applyTx,
  buildBlock,
  verifyBlock,
  verifyTx,
  type ChainParams
} from './rules/block.js';
import type { HospitalHeaderView, TxContext } from './rules/context.js';
import { checkpointOf } from './rules/index-batch.js';
import { genesisHeader } from './genesis.js';
import { hexKey } from './bytes.js';
import type { ChainState } from './store.js';

const W = world();
const AUTH = AUTHORITY[HOSPITAL]!;
const PROPOSER = NODES[HOSPITAL]![3]!.keys.signingPublic;
let generated = 0;

/** Three real hospital blocks of two records each: their headers are what the view certifies. */
const CHAIN = (() => {
  let prev = W.hospitalHeader;
  let state = W.hospitalState;
  const out = [];
  for (let i = 0; i < 3; i++) {
    const txs = [0, 1].map(() => appendRecordCodec.encode(record(W.grantId)));
    const b = buildBlock(prev, state, txs, prev.time + DAY, PROPOSER, W.params);
    expect(b.dropped).toEqual([]);
    out.push(b.block);
    prev = b.block.header;
    state = b.state;
  }
  return out;
})();

const CERTIFIED = new Map(CHAIN.map((b) => [b.header.height, headerHash(b.header)]));
const VIEW: HospitalHeaderView = (h, height) => (h === HOSPITAL ? CERTIFIED.get(height) : undefined);

const params = (view?: HospitalHeaderView): ChainParams => ({
  chainId: CONSORTIUM_CHAIN_ID,
  config: { kind: 'consortium', hospitalHeaders: view }
});
const ctx = (view?: HospitalHeaderView): TxContext => ({
  ...params(view),
  height: 1,
  time: T0 + DAY,
  txIndex: 0
});

/** The index entries of the real blocks in (after, upTo], as the node's indexer extracts them. */
function entriesOf(after: number, upTo: number): IndexBatch['entries'] {
  return CHAIN.filter((b) => b.header.height > after && b.header.height <= upTo).flatMap((b) =>
    b.txs.map((bytes, txIndex) => {
      const tx = appendRecordCodec.decode(bytes);
      return {
        tag: tx.tag,
        entry: {
          hospital: HOSPITAL,
          height: b.header.height,
          txIndex,
          mhrHash: tx.mhrHash,
          blobRef: tx.blobRef
        }
      };
    })
  ) as IndexBatch['entries'];
}

function batch(height: number, headerHashBytes: Uint8Array, entries = entriesOf(0, height)): Uint8Array {
  return indexBatchCodec.encode(
    createIndexBatch(AUTH.keys.signingSeed, AUTH.keys.signingPublic, {
      hospital: HOSPITAL,
      checkpoint: { height, headerHash: headerHashBytes as IndexBatch['checkpoint']['headerHash'] },
      entries
    })
  );
}

function code(s: ChainState, tx: Uint8Array, c: TxContext): string {
  const v = verifyTx(s, tx, c);
  return v.ok ? 'ok' : v.error.code;
}

describe('index-batch checkpoints', () => {
  it('accepts the certified header with its entries; without a view, or beyond it, the signature decides', () => {
    for (const h of [1, 2, 3]) {
      expect(code(W.consortium, batch(h, CERTIFIED.get(h)!), ctx(VIEW))).toBe('ok');
      expect(code(W.consortium, batch(h, new Uint8Array(32).fill(9)), ctx())).toBe('ok');
    }
    // height 4 is not certified yet as far as this validator knows
    expect(code(W.consortium, batch(4, new Uint8Array(32).fill(4)), ctx(VIEW))).toBe('ok');
    const s = applyTx(W.consortium, batch(2, CERTIFIED.get(2)!), ctx(VIEW));
    expect(hexKey(checkpointOf(s, HOSPITAL)!.headerHash)).toBe(hexKey(CERTIFIED.get(2)!));
    expect(code(s, batch(3, CERTIFIED.get(3)!, entriesOf(2, 3)), ctx(VIEW))).toBe('ok');
  });

  it('refuses a header other than the certified one (a rewritten hospital chain)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (h, forged) => {
          fc.pre(hexKey(forged) !== hexKey(CERTIFIED.get(h)!));
          generated++;
          expect(code(W.consortium, batch(h, forged), ctx(VIEW))).toBe('chain/bad-checkpoint');
        }
      ),
      { numRuns: 30 }
    );
    // a real alternative block at height 1 (other records): its hash is not the certified one
    const alt = buildBlock(
      W.hospitalHeader,
      W.hospitalState,
      [appendRecordCodec.encode(record(W.grantId))],
      T0 + 2 * DAY,
      PROPOSER,
      W.params
    ).block;
    generated++;
    expect(code(W.consortium, batch(1, headerHash(alt.header), []), ctx(VIEW))).toBe('chain/bad-checkpoint');
  });

  it('refuses height 0, a checkpoint that does not advance, entries beyond it, out of order or repeated', () => {
    const s = applyTx(W.consortium, batch(2, CERTIFIED.get(2)!), ctx(VIEW));
    generated += 2;
    expect(code(W.consortium, batch(0, genesisHeaderHash(), []), ctx())).toBe('chain/bad-checkpoint');
    expect(code(s, batch(2, CERTIFIED.get(2)!, []), ctx(VIEW))).toBe('chain/bad-checkpoint');
    fc.assert(
      fc.property(fc.constantFrom('old', 'future', 'swap', 'repeat'), fc.nat(), (how, n) => {
        generated++;
        let entries = entriesOf(2, 3);
        if (how === 'old') entries = [...entriesOf(0, 2).slice(n % 4, (n % 4) + 1), ...entries];
        if (how === 'future')
          entries = [
            ...entries,
            ...entriesOf(0, 1).map((e) => ({ ...e, entry: { ...e.entry, height: 4 + (n % 5) } }))
          ];
        if (how === 'swap') entries = [entries[1]!, entries[0]!];
        if (how === 'repeat') entries = [entries[0]!, entries[n % 2]!, entries[1]!];
        expect(code(s, batch(3, CERTIFIED.get(3)!, entries), ctx(VIEW))).toBe(
          how === 'old' || how === 'future' ? 'chain/bad-checkpoint' : 'chain/bad-tx'
        );
      }),
      { numRuns: 40 }
    );
  });

  it('a certified consortium block keeps applying whatever the view says later', () => {
    const g = genesisHeader(GENESIS);
    const tx = batch(1, new Uint8Array(32).fill(7));
    const built = buildBlock(g.header, W.consortium, [tx], T0 + DAY, AUTH.keys.signingPublic, params());
    expect(built.block.txs).toHaveLength(1);
    const full = verifyBlock(g.header, W.consortium, built.block, params(VIEW));
    expect(full.ok ? 'ok' : full.error.code).toBe('chain/bad-checkpoint');
    const r = applyCertifiedBlock(g.header, W.consortium, built.block, params(VIEW));
    expect(r.ok && hexKey(r.state.root())).toBe(hexKey(built.block.header.stateRoot));
  });
});

function genesisHeaderHash(): Uint8Array {
  return headerHash(W.hospitalHeader);
}

afterAll(() => {
  expect(generated).toBeGreaterThanOrEqual(60);
});
