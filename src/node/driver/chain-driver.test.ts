/**
 * The driver with real LevelDB and real signatures, four validators of a consortium chain connected by
 * an in-memory transport (the libp2p transport is exercised by tests/integration/node-*.test.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { genesisHeader, type ConsortiumGenesis } from '../../lib/core/chain/genesis.js';
import { CONSORTIUM_CHAIN_ID } from '../../lib/core/chain/header.js';
import { createIndexBatch, indexBatchCodec } from '../../lib/core/chain/tx/index-batch.js';
import { PROTOCOL_VERSION, TAGS } from '../../lib/core/constants.js';
import { compareBytes } from '../../lib/core/consensus/types.js';
import { seededRng, setEd25519Backend, sha256, toHex, x25519PublicKey } from '../../lib/core/crypto/index.js';
import { nodeEd25519 } from '../../lib/core/crypto/ed25519.node.js';
import { nodeKeyFromSeed, type NodeKey } from '../keys.js';
import { createLogger } from '../log.js';
import { NodeStorage } from '../storage/index.js';
import { ChainDriver, type ChainTransport, type GossipItem } from './chain-driver.js';

setEd25519Backend(nodeEd25519);
const rng = seededRng(11);
const key = () => nodeKeyFromSeed(rng(32));
const enc = () => x25519PublicKey(rng(32));

const authorities: NodeKey[] = [key(), key(), key(), key()];
const genesisDoc: ConsortiumGenesis = {
  t: TAGS.genesis,
  v: PROTOCOL_VERSION,
  kind: 'consortium',
  chainId: CONSORTIUM_CHAIN_ID,
  time: 1_700_000_000_000,
  managers: [{ key: key().publicKey, encryptionKey: enc() }],
  hospitals: authorities.map((a, i) => ({
    id: `H${i}`,
    name: `Hospital ${i}`,
    authority: a.publicKey,
    authorityEncryption: enc(),
    nodes: [{ key: key().publicKey, encryptionKey: enc(), mirror: false, weight: 1 }]
  }))
} as ConsortiumGenesis;

// Four validators and a follower (index 4).
const dirs = [...authorities, null].map(() => mkdtempSync(join(tmpdir(), 'cc-driver-')));
const log = createLogger({}, (process.env.TEST_LOG as 'debug') ?? 'error');
const drivers: (ChainDriver | undefined)[] = [];
const storages: (NodeStorage | undefined)[] = [];
const down = new Set<number>();

function transport(i: number): ChainTransport {
  const others = () => drivers.map((d, j) => (j !== i && !down.has(j) ? d : undefined)).filter((d) => d);
  return {
    broadcast(items: GossipItem[]) {
      for (const d of others()) setImmediate(() => void d!.onGossip(items));
    },
    relay(txs) {
      for (const d of others())
        for (const tx of txs)
          try {
            d!.submit(tx, `peer${i}`, false);
          } catch {
            // duplicate or refused: the sender's mempool still has it
          }
    },
    async sync(from, count, waitMs, signal) {
      for (const d of others()) {
        const out = [];
        for await (const b of d!.blocksFrom(from, count, waitMs, signal)) out.push(b);
        if (out.length) return out;
      }
      return [];
    }
  };
}

async function startNode(i: number) {
  const storage = await NodeStorage.open(dirs[i]!, sha256);
  storages[i] = storage;
  const d = new ChainDriver({
    name: 'consortium',
    chainId: CONSORTIUM_CHAIN_ID,
    genesis: genesisHeader(genesisDoc),
    params: () => ({ chainId: CONSORTIUM_CHAIN_ID, config: { kind: 'consortium' } }),
    stores: storage.chains.consortium,
    db: storage.db,
    signer: authorities[i] ?? null,
    transport: transport(i),
    mempool: { maxTxs: 10_000, maxBytes: 64 * 1024 * 1024, txPerPeerPerSecond: 10_000 },
    timeouts: { proposeMs: 400, prevoteMs: 200, precommitMs: 200, roundDeltaMs: 100 },
    regossipMs: 300,
    syncMs: 300,
    // Small, so the short chains here have snapshots and restarts rebuild from them.
    snapshotEveryBlocks: 2,
    log: log.child({ node: i })
  });
  drivers[i] = d;
  down.delete(i);
  await d.start();
  return d;
}

async function stopNode(i: number) {
  down.add(i);
  await drivers[i]!.stop();
  await storages[i]!.close();
  drivers[i] = undefined;
}

const checkpoints = new Map<number, number>();
function batch(h: number): Uint8Array {
  const height = (checkpoints.get(h) ?? 0) + 1;
  checkpoints.set(h, height);
  const a = authorities[h]!;
  return indexBatchCodec.encode(
    createIndexBatch(a.seed, a.publicKey, {
      hospital: `H${h}`,
      checkpoint: { height, headerHash: sha256(new Uint8Array([h, height])) },
      entries: []
    })
  );
}

afterAll(async () => {
  for (let i = 0; i < drivers.length; i++) if (drivers[i]) await stopNode(i);
});

describe('consensus driver (4 validators, real LevelDB, in-memory links)', () => {
  it('commits a submitted tx on every node with identical hashes, acking after durability', async () => {
    for (let i = 0; i < 4; i++) await startNode(i);
    const c = await drivers[0]!.submitAndWait(batch(0), 'client', 10_000);
    expect(c.height).toBe(1);
    await waitFor(() => drivers.every((d) => d!.height === 1));
    const hashes = new Set(drivers.map((d) => toHex(d!.headHash)));
    expect(hashes.size).toBe(1);
    expect(storages[2]!.chains.consortium.blocks.height()).toBe(1);
  }, 30_000);

  it('batches concurrent txs from several submitters', async () => {
    const acks = await Promise.all(
      [1, 2, 3].map((h) => drivers[h]!.submitAndWait(batch(h), 'client', 10_000))
    );
    expect(acks.every((a) => a.height >= 2)).toBe(true);
    await waitFor(() => new Set(drivers.map((d) => d!.height)).size === 1);
  }, 30_000);

  it('a stopped validator replays from disk and catches up from peers; 3 of 4 keep committing', async () => {
    const before = drivers[3]!.height;
    await stopNode(3);
    const acked = [];
    for (let k = 0; k < 3; k++)
      acked.push(await drivers[k % 3]!.submitAndWait(batch(k % 3), 'client', 15_000));
    const d3 = await startNode(3);
    expect(d3.height).toBe(before); // replayed from its own disk
    // ...from its newest state snapshot (root checked against the stored header), not from genesis.
    expect(d3.restoredFrom).toBeGreaterThan(0);
    expect(d3.restoredFrom).toBeLessThanOrEqual(before);
    await waitFor(() => d3.height === drivers[0]!.height, 15_000);
    expect(toHex(d3.headHash)).toBe(toHex(drivers[0]!.headHash));
    // and it takes part again: a tx submitted to it commits
    const c = await d3.submitAndWait(batch(3), 'client', 15_000);
    expect(c.height).toBeGreaterThan(acked.at(-1)!.height);
  }, 60_000);

  it('refuses to start (and keeps its blocks) when stored blocks do not replay under this genesis', async () => {
    await stopNode(2);
    const storage = await NodeStorage.open(dirs[2]!, sha256);
    const height = storage.chains.consortium.blocks.height();
    expect(height).toBeGreaterThan(0);
    const other = new ChainDriver({
      name: 'consortium',
      chainId: CONSORTIUM_CHAIN_ID,
      genesis: genesisHeader({ ...genesisDoc, time: genesisDoc.time + 1 }),
      params: () => ({ chainId: CONSORTIUM_CHAIN_ID, config: { kind: 'consortium' } }),
      stores: storage.chains.consortium,
      db: storage.db,
      signer: authorities[2]!,
      transport: transport(2),
      mempool: { maxTxs: 10, maxBytes: 1 << 20, txPerPeerPerSecond: 10 },
      log
    });
    await expect(other.start()).rejects.toThrow(/node\/storage-corrupt/);
    expect(storage.chains.consortium.blocks.height()).toBe(height);
    await storage.close();
  }, 30_000);

  it('admits a batch with one verdict per tx, in order, and the admitted ones commit when waited on', async () => {
    const good = [batch(1), batch(2)];
    const before = drivers[1]!.height;
    const verdicts = await drivers[1]!.submitMany(
      [good[0]!, new Uint8Array([9]), good[0]!, good[1]!],
      'client',
      {
        wait: true,
        timeoutMs: 15_000
      }
    );
    expect(verdicts.map((v) => (v.ok ? 'ok' : v.error.code))).toEqual([
      'ok',
      'chain/unknown-tx',
      'node/duplicate-tx',
      'ok'
    ]);
    const heights = await Promise.all(verdicts.flatMap((v) => (v.ok && v.done ? [v.done] : [])));
    expect(heights).toHaveLength(2);
    for (const c of heights) expect(c.height).toBeGreaterThan(before);
    // relayed in one gossip batch: every running node holds them committed (node 2 was stopped above)
    const top = Math.max(...heights.map((c) => c.height));
    await waitFor(() => drivers.every((d) => !d || d.height >= top));
  }, 30_000);

  it('answers a long poll as soon as the block it waits for commits, an idle one after its wait', async () => {
    const d0 = drivers[0]!;
    const next = d0.height + 1;
    let answered = false;
    const t0 = Date.now();
    const polled = (async () => {
      const out = [];
      for await (const b of d0.blocksFrom(next, 4, 20_000)) out.push(b);
      answered = true;
      return out;
    })();
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false); // waiting: the block is not there yet
    await drivers[1]!.submitAndWait(batch(1), 'client', 10_000);
    const got = await polled;
    expect(got[0]!.height).toBe(next);
    expect(Date.now() - t0).toBeLessThan(10_000); // at the commit, not at the end of the 20 s wait

    // A height far ahead: nothing, after the wait (an answer at once would take a few ms; the lower
    // bound leaves room for the event loop's cached clock).
    const t1 = Date.now();
    const none = [];
    for await (const b of d0.blocksFrom(d0.height + 100, 1, 500)) none.push(b);
    expect(none).toEqual([]);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(250);
  }, 30_000);

  it('a follower (no key) catches up, then hears of each new block through its long poll', async () => {
    const f = await startNode(4);
    expect(f.isValidator).toBe(false);
    await waitFor(() => f.height === drivers[0]!.height, 15_000);
    const c = await drivers[0]!.submitAndWait(batch(0), 'client', 10_000);
    await waitFor(() => f.height >= c.height, 10_000);
    expect(toHex(f.headHash)).toBe(toHex(drivers[0]!.headHash));
    // Stopping it ends the poll it has waiting at a peer at once.
    const t0 = Date.now();
    await stopNode(4);
    expect(Date.now() - t0).toBeLessThan(2_000);
  }, 30_000);

  it('refuses invalid and duplicate txs with named errors', () => {
    const tx = batch(0);
    drivers[0]!.submit(tx);
    expect(() => drivers[0]!.submit(tx)).toThrow(/duplicate-tx/);
    expect(() => drivers[0]!.submit(new Uint8Array([1, 2, 3]))).toThrow(/decode\//);
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([2]))).toBeLessThan(0);
  });
});

async function waitFor(cond: () => boolean, ms = 10_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
