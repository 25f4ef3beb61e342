import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/core/crypto/index.js';
import { fail, OK } from '../../lib/core/errors.js';
import { Mempool } from './mempool.js';

const tx = (n: number) => new Uint8Array([n, n >> 8]);
const limits = { maxTxs: 5, maxBytes: 1000, txPerPeerPerSecond: 3 };

describe('mempool', () => {
  it('admits valid txs FIFO, refuses invalid, duplicate, over-rate and over-size with named errors', () => {
    let now = 0;
    const invalid = new Set([99]);
    const m = new Mempool(
      limits,
      (t) => (invalid.has(t[0]!) ? fail('chain/bad-tx') : OK),
      sha256,
      () => now
    );
    expect(() => m.add(tx(99), 'p')).toThrow(/chain\/bad-tx/);
    m.add(tx(1), 'p');
    expect(() => m.add(tx(1), 'q')).toThrow(/node\/duplicate-tx/);
    m.add(tx(2), 'p');
    m.add(tx(3), 'p');
    m.add(tx(4), 'p');
    m.add(tx(5), 'p');
    // p spent its burst of 6 tokens (3/s × 2), incl. the refused ones that reached the bucket
    expect(() => m.add(tx(6), 'p')).toThrow(/node\/rate-limited/);
    expect(() => m.add(tx(6), 'q')).toThrow(/node\/mempool-full/);
    expect(m.size).toBe(5);
    expect(m.take(3, 1000)).toEqual([tx(1), tx(2), tx(3)]);
    expect(m.take(10, 4)).toEqual([tx(1), tx(2)]);
    now += 1000; // a second later p has 3 tokens again
    expect(() => m.add(tx(6), 'p')).toThrow(/node\/mempool-full/);
  });

  it('above the memory ceiling refuses every new tx with node/mempool-full, and takes them again after', () => {
    let over = true;
    const m = new Mempool({ ...limits, overloaded: () => over }, () => OK, sha256);
    expect(() => m.add(tx(1), 'p')).toThrow(/node\/mempool-full/);
    expect(m.size).toBe(0);
    over = false;
    m.add(tx(1), 'p');
    expect(m.size).toBe(1);
  });

  it('acks submitters on commit, drops now-invalid txs, remembers committed ids', async () => {
    const invalid = new Set<number>();
    const m = new Mempool(limits, (t) => (invalid.has(t[0]!) ? fail('consent/revoked') : OK), sha256);
    const a = m.add(tx(1));
    const b = m.add(tx(2));
    const pa = m.committed(a);
    const pb = m.committed(b);
    invalid.add(2);
    m.commit([tx(1)], { height: 7, blockHash: new Uint8Array(32) });
    m.recheck();
    await expect(pa).resolves.toMatchObject({ height: 7, txIndex: 0 });
    await expect(pb).rejects.toThrow(/consent\/revoked/);
    expect(m.size).toBe(0);
    expect(m.bytes).toBe(0);
    expect(() => m.add(tx(1))).toThrow(/duplicate-tx/);
  });
});
