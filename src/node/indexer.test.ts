import { describe, expect, it } from 'vitest';
import { makeBlock, type Block } from '../lib/core/chain/block.js';
import { ZERO_HASH, type Header } from '../lib/core/chain/header.js';
import { createAppendRecord } from '../lib/core/chain/tx/append-record.js';
import { createAttestation } from '../lib/core/chain/tx/attestation.js';
import {
  indexBatchCodec,
  indexBatchSignatureValid,
  type IndexBatch
} from '../lib/core/chain/tx/index-batch.js';
import { PROTOCOL_VERSION, TAGS } from '../lib/core/constants.js';
import { seededRng, sha256, signingPublicKey, toHex } from '../lib/core/crypto/index.js';
import { encodeCanonical } from '../lib/core/encoding/cbor.js';
import { cutBatch, extractEntries, Indexer } from './indexer.js';
import { nodeKeyFromSeed } from './keys.js';
import { createLogger } from './log.js';

const rng = seededRng(7);
const doctorSeed = rng(32);
const doctor = signingPublicKey(doctorSeed);
const mirrorSeed = rng(32);

function record(n: number): Uint8Array {
  const blob = new TextEncoder().encode(`blob ${n}`);
  const mhrHash = sha256(blob);
  const att = createAttestation(mirrorSeed, signingPublicKey(mirrorSeed), {
    hospital: 'H1',
    mhrHash,
    size: blob.length,
    time: 1
  });
  const tx = createAppendRecord(doctorSeed, doctor, {
    hospital: 'H1',
    tag: sha256(new Uint8Array([n, 1])),
    blobRef: toHex(mhrHash),
    mhrHash,
    grant: new Uint8Array(32),
    opening: new Uint8Array(32),
    time: 1,
    attestations: [att]
  } as never);
  return encodeCanonical(tx);
}

function block(height: number, txs: Uint8Array[]): { block: Block; hash: Uint8Array } {
  const h: Header = {
    t: TAGS.header,
    v: PROTOCOL_VERSION,
    chainId: 'hospital:H1',
    height,
    time: height,
    parent: ZERO_HASH,
    txRoot: ZERO_HASH,
    stateRoot: ZERO_HASH,
    validatorsHash: ZERO_HASH,
    nextValidatorsHash: ZERO_HASH,
    proposer: ZERO_HASH
  } as Header;
  return { block: makeBlock(h, txs), hash: sha256(new Uint8Array([height])) };
}

const other = encodeCanonical({ t: 'cc/tx/access-log', v: 1 });

describe('index extractor', () => {
  it('extracts one entry per record tx with its height and tx index, skipping other txs', () => {
    const { block: b } = block(3, [other, record(1), record(2)]);
    const e = extractEntries('H1', b);
    expect(e.map((x) => [x.entry.height, x.entry.txIndex])).toEqual([
      [3, 1],
      [3, 2]
    ]);
    expect(e[0]!.tag).toEqual(sha256(new Uint8Array([1, 1])));
  });

  it('cuts whole blocks up to the limit; an oversized block is capped and reported', async () => {
    const chain = [
      block(0, []),
      block(1, [record(1)]),
      block(2, []),
      block(3, [record(2), record(3), record(4)]),
      block(4, [record(5)])
    ];
    const deps = { hospital: 'H1', hospitalHeight: () => 4, hospitalBlock: async (h: number) => chain[h] };
    const a = (await cutBatch(deps, 0, 2))!;
    expect(a.entries).toHaveLength(1);
    expect(a.checkpoint.height).toBe(2);
    const over: number[][] = [];
    const b = (await cutBatch(deps, 2, 2, (h, n) => over.push([h, n])))!;
    expect(b.entries.map((x) => x.entry.txIndex)).toEqual([0, 1]);
    expect(b.checkpoint.height).toBe(3);
    expect(over).toEqual([[3, 1]]);
    const c = (await cutBatch(deps, 3, 2))!;
    expect(c.entries.map((x) => [x.entry.height, x.entry.txIndex])).toEqual([[4, 0]]);
    expect(await cutBatch(deps, 4, 2)).toBeUndefined();
    expect((await cutBatch(deps, 0, 10))!.entries).toHaveLength(5);
  });

  it('submits signed batches after the interval and resumes from the consortium checkpoint', async () => {
    const chain = [block(0, []), block(1, [record(1)]), block(2, [record(2)])];
    let checkpoint = -1;
    const seen: IndexBatch[] = [];
    const key = nodeKeyFromSeed(rng(32));
    const ix = new Indexer({
      hospital: 'H1',
      key,
      intervalMs: 10,
      checkpointHeight: () => checkpoint,
      hospitalHeight: () => chain.length - 1,
      hospitalBlock: async (h) => chain[h],
      submit: async (tx) => {
        const b = indexBatchCodec.decode(tx);
        seen.push(b);
        checkpoint = b.checkpoint.height;
      },
      log: createLogger({}, 'error')
    });
    ix.start();
    await new Promise((r) => setTimeout(r, 60));
    chain.push(block(3, [record(3)]));
    ix.poke();
    await new Promise((r) => setTimeout(r, 60));
    ix.stop();
    expect(seen.map((b) => b.checkpoint.height)).toEqual([2, 3]);
    expect(seen.every(indexBatchSignatureValid)).toBe(true);
    expect(seen[0]!.entries).toHaveLength(2);
    expect(seen[0]!.checkpoint.headerHash).toEqual(chain[2]!.hash);
  });
});
