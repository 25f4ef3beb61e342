import { describe, expect, it } from 'vitest';
import { DAY, NODES, T0, record, world } from './fixtures.node.js';
import { appendRecordCodec } from './tx/append-record.js';
import { ChainApp } from './app.js';
import { blockCodec } from './block.js';

describe('ChainApp (the consensus engine view of a chain)', () => {
  it('proposes nothing without transactions, proposes and validates blocks, commits them', () => {
    const W = world();
    let pending: Uint8Array[] = [];
    const proposer = NODES['dhaka-medical']![1]!.keys.signingPublic;
    const mk = () =>
      new ChainApp(
        W.params,
        { header: W.hospitalHeader, state: W.hospitalState },
        { pending: () => pending, now: () => T0 + DAY, proposer }
      );
    const a = mk();
    const b = mk();
    expect(a.proposeBlock(1)).toBeNull();
    pending = [appendRecordCodec.encode(record(W.grantId)), new Uint8Array([1, 2, 3])];
    const block = a.proposeBlock(1)!;
    expect(blockCodec.decode(block).txs).toHaveLength(1);
    expect(b.validateBlock(1, block)).toEqual({ ok: true });
    expect(b.validateBlock(2, block)).toMatchObject({ ok: false, error: { code: 'chain/wrong-height' } });
    const tampered = blockCodec.encode({ ...blockCodec.decode(block), txs: [] });
    expect(b.validateBlock(1, tampered)).toMatchObject({ ok: false, error: { code: 'chain/wrong-tx-root' } });
    const ha = a.commit(block);
    const hb = b.commit(block);
    expect(ha).toEqual(hb);
    expect(a.state.root()).toEqual(b.state.root());
    expect(a.blockId(block)).toEqual(b.blockId(block));
    expect(a.validatorSet(2).validators.length).toBe(4);
  });
});
