/**
 * Break-glass in the light client, in-process over a light-world: the records a hospital node lists for
 * an emergency are each checked like indexed ones (certified hospital header, inclusion proof, the
 * transaction equal to what was listed, blob hash), and a node that lies in its answers is dropped.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TAGS } from '../../src/lib/core/constants.js';
import { CoreError, isCoreError } from '../../src/lib/core/errors.js';
import { headerCodec } from '../../src/lib/core/chain/header.js';
import { commitCertificateCodec } from '../../src/lib/core/consensus/types.js';
import { setEd25519Backend, toHex } from '../../src/lib/core/crypto/index.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { proveTx, txProofCodec } from '../../src/lib/core/state/tx-merkle.js';
import { LightClient, MemoryHeadStore, type LightPeer } from '../../src/lib/light/client.js';
import { decodeRecordAnswer, encodeRecordAnswer, recordCacheKey } from '../../src/lib/light/answer-cache.js';
import { trustedHeads } from '../../src/lib/light/genesis.js';
import { buildWorld, type World } from './light-world.js';

beforeAll(() => setEd25519Backend(nodeEd25519));

type Lie = 'honest' | 'other-tx' | 'altered-blob' | 'out-of-order';

const STATEMENT = new Uint8Array([1, 2, 3]);
const KEY = new Uint8Array(104).fill(7);

/** A hospital's node over a light-world; lists `pageSize` records per page, newest first. */
function hospitalPeer(w: World, id: string, lie: Lie, pageSize = 256, asked: unknown[] = []): LightPeer {
  const h = w.hospitals[0]!;
  const unused = async (): Promise<never> => {
    throw new CoreError('net/internal', {}, 'ignore');
  };
  return {
    id,
    async header(chainId) {
      if (chainId !== h.chainId) throw new CoreError('net/internal', {}, 'ignore');
      const top = h.blocks.at(-1)!;
      return { latest: top.header, commit: top.cert, changes: [] };
    },
    state: unused,
    txProof: unused,
    blob: unused,
    async emergencyList(statement, before = null) {
      expect(statement).toEqual(STATEMENT);
      asked.push(before);
      const newestFirst = w.records
        .filter((r) => r.entry.hospital === h.id)
        .sort((a, b) => b.entry.height - a.entry.height || b.entry.txIndex - a.entry.txIndex);
      const older = newestFirst.filter(
        (r) =>
          !before ||
          r.entry.height < before.height ||
          (r.entry.height === before.height && r.entry.txIndex < before.txIndex)
      );
      // The lie: the second page starts over from the newest record.
      const from = lie === 'out-of-order' && before ? newestFirst : older;
      const page = from.slice(0, pageSize);
      return {
        t: TAGS.netEmergencyList,
        v: 1,
        chainId: h.chainId,
        more: from.length > pageSize,
        records: page.map((r) => ({
          height: r.entry.height,
          txIndex: r.entry.txIndex,
          mhrHash: r.entry.mhrHash,
          blobRef: r.entry.blobRef,
          tag: r.tag
        }))
      } as never;
    },
    async records(items, access) {
      expect(access?.breakGlass).toEqual(STATEMENT);
      return items.map((it, i) => {
        const block = h.blocks[it.height - 1]!;
        // The lie told for the first record: another transaction of the block, honestly proven.
        const at = lie === 'other-tx' && i === 0 ? (it.txIndex + 1) % block.txs.length : it.txIndex;
        const blob = w.blobs.get(toHex(it.hash))!;
        return {
          header: headerCodec.encode(block.header),
          commit: commitCertificateCodec.encode(block.cert),
          tx: block.txs[at]!,
          proof: txProofCodec.encode(proveTx(block.txs, at)),
          blob: lie === 'altered-blob' && i === 0 ? blob.map((b, k) => (k === 10 ? b ^ 1 : b)) : blob,
          key: KEY
        };
      });
    }
  };
}

function client(w: World, peers: LightPeer[], store = new MemoryHeadStore()) {
  return new LightClient({ genesis: trustedHeads(w.genesis), peers, store });
}

describe('break-glass records in the light client', () => {
  const w = buildWorld({ hospitals: 1, recordsPerHospital: 4, consortiumHeight: 10, setChanges: 0 });

  it('checks every listed record against the certified hospital chain and passes the released key on', async () => {
    const c = client(w, [hospitalPeer(w, 'honest', 'honest')]);
    const got = await c.emergencyRecords('honest', STATEMENT);
    expect(got.hospital).toBe(w.hospitals[0]!.id);
    expect(got.got).toHaveLength(4);
    for (const g of got.got) {
      if (g instanceof CoreError) throw g;
      expect(g.key).toEqual(KEY);
      expect(g.ref.checks).toContain('SHA-256 of the received bytes equals both hashes');
    }
    expect(got.got.map((g) => (g instanceof CoreError ? '' : toHex(g.ref.tx.mhrHash)))).toEqual(
      w.records.map((r) => toHex(r.entry.mhrHash)).reverse()
    );
  });

  it('reads the listing page by page, each asking for what is older than the last record seen', async () => {
    const asked: unknown[] = [];
    const c = client(w, [hospitalPeer(w, 'honest', 'honest', 3, asked)]);
    const got = await c.emergencyRecords('honest', STATEMENT);
    expect(got.got.filter((g) => !(g instanceof CoreError))).toHaveLength(4);
    expect(got.more).toBe(false);
    const third = [...w.records].reverse()[2]!.entry;
    expect(asked).toEqual([null, { height: third.height, txIndex: third.txIndex }]);
  });

  it('stops reading records past its byte budget, newest first, and says older ones exist', async () => {
    const big = buildWorld({ hospitals: 1, recordsPerHospital: 20, consortiumHeight: 10, setChanges: 0 });
    const c = client(big, [hospitalPeer(big, 'honest', 'honest')]);
    // A budget of one byte: one request's worth of records (16) is read, newest first, and no more.
    const got = await c.emergencyRecords('honest', STATEMENT, false, 1);
    expect(got.more).toBe(true);
    expect(got.got.map((g) => (g instanceof CoreError ? g.code : toHex(g.ref.tx.mhrHash)))).toEqual(
      big.records
        .map((r) => toHex(r.entry.mhrHash))
        .reverse()
        .slice(0, 16)
    );
    // With the default budget all 20 are read.
    const all = await c.emergencyRecords('honest', STATEMENT);
    expect(all.more).toBe(false);
    expect(all.got).toHaveLength(20);
  });

  it('drops a node whose pages do not run newest first: light/proof-invalid', async () => {
    const c = client(w, [hospitalPeer(w, 'liar', 'out-of-order', 2), hospitalPeer(w, 'honest', 'honest')]);
    await expect(c.emergencyRecords('liar', STATEMENT)).rejects.toSatisfy((e) =>
      isCoreError(e, 'light/proof-invalid')
    );
    expect(c.dropped.get('liar')?.code).toBe('light/proof-invalid');
  });

  for (const [lie, code] of [
    ['other-tx', 'light/proof-invalid'],
    ['altered-blob', 'light/record-altered']
  ] as const)
    it(`drops a node that answers a listed record with ${lie}: ${code}`, async () => {
      const c = client(w, [hospitalPeer(w, 'liar', lie), hospitalPeer(w, 'honest', 'honest')]);
      await expect(c.emergencyRecords('liar', STATEMENT)).rejects.toSatisfy((e) => isCoreError(e, code));
      expect(c.dropped.get('liar')?.code).toBe(code);
      // The honest node still answers, and is asked by name.
      expect((await c.emergencyRecords('honest', STATEMENT)).got).toHaveLength(4);
    });

  it('a node that is not among the live peers is not asked', async () => {
    const c = client(w, [hospitalPeer(w, 'honest', 'honest')]);
    await expect(c.emergencyRecords('elsewhere', STATEMENT)).rejects.toSatisfy((e) =>
      isCoreError(e, 'light/no-peers')
    );
  });

  it('offline, opens again what was opened under the statement before, each record verified again', async () => {
    const store = new MemoryHeadStore();
    const online = client(w, [hospitalPeer(w, 'honest', 'honest')], store);
    await online.emergencyRecords('honest', STATEMENT);
    await online.settled();
    const off = client(w, [], store);
    // Without asking for it, an outage stays an outage.
    await expect(off.emergencyRecords('honest', STATEMENT)).rejects.toSatisfy((e) =>
      isCoreError(e, 'light/no-peers')
    );
    const got = await off.emergencyRecords('honest', STATEMENT, true);
    expect(got.cached).toBe(true);
    expect(got.got).toHaveLength(4);
    for (const g of got.got) {
      if (g instanceof CoreError) throw g;
      expect(g.key).toEqual(KEY);
    }
    // Nothing was opened under another statement: the outage is the answer.
    await expect(off.emergencyRecords('honest', new Uint8Array([9]), true)).rejects.toSatisfy((e) =>
      isCoreError(e, 'light/no-peers')
    );
    // A record altered on the device is refused; the others still open.
    const first = w.records[0]!.entry;
    const kept = decodeRecordAnswer((await store.loadAnswer(recordCacheKey(first.mhrHash)))!)!;
    const altered = kept.blob.map((b, k) => (k === 10 ? b ^ 1 : b));
    await store.saveAnswer(
      recordCacheKey(first.mhrHash),
      encodeRecordAnswer(`hospital:${first.hospital}`, first.height, { ...kept, blob: altered })
    );
    const again = await off.emergencyRecords('honest', STATEMENT, true);
    expect(again.got.filter((g) => g instanceof CoreError).map((g) => (g as CoreError).code)).toEqual([
      'light/record-altered'
    ]);
    expect(again.got.filter((g) => !(g instanceof CoreError))).toHaveLength(3);
  });
});
