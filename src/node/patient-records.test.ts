import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockCodec } from '../lib/core/chain/block.js';
import {
  DAY,
  DOCTOR,
  NODES,
  HOSPITAL,
  PATIENT,
  PATIENT_2,
  T0,
  grantFor,
  record,
  world
} from '../lib/core/chain/fixtures.node.js';
import { buildBlock } from '../lib/core/chain/rules/block.js';
import { applyGrantTx } from '../lib/core/chain/rules/consent.js';
import { appendRecordCodec } from '../lib/core/chain/tx/append-record.js';
import { grantId } from '../lib/core/consent/grant.js';
import { setEd25519Backend, toHex } from '../lib/core/crypto/index.js';
import { nodeEd25519 } from '../lib/core/crypto/ed25519.node.js';
import { MAX_EMERGENCY_RECORDS } from '../lib/net/emergency-list.js';
import { PatientRecords } from './patient-records.js';
import { NodeDb } from './storage/db.js';

let dir: string;
const dbs: NodeDb[] = [];
beforeAll(async () => {
  setEd25519Backend(nodeEd25519);
  dir = await mkdtemp(join(tmpdir(), 'cc-patient-records-'));
});
afterAll(async () => {
  for (const db of dbs) await db.close();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh LevelDB for one test. */
async function freshDb(): Promise<NodeDb> {
  const db = await NodeDb.open(join(dir, String(dbs.length)));
  dbs.push(db);
  return db;
}

/** A hospital chain of committed blocks, each holding the given records, over a world with two patients. */
async function chain(perBlock: ('p1' | 'p2')[][], db?: NodeDb) {
  const W = world();
  const g2 = grantFor(PATIENT_2, DOCTOR, 2);
  const consortium = applyGrantTx(W.consortium, g2, T0);
  const params = { ...W.params, config: { ...W.params.config, consortium } } as typeof W.params;
  const grants = { p1: W.grantId, p2: grantId(g2.grant) };
  let header = W.hospitalHeader;
  let state = W.hospitalState;
  const blocks: Uint8Array[] = [];
  const hashes: Record<'p1' | 'p2', string[]> = { p1: [], p2: [] };
  for (const [b, who] of perBlock.entries()) {
    const txs = who.map((p) => {
      const r = record(grants[p], { patient: p === 'p1' ? PATIENT : PATIENT_2, time: T0 + DAY + b });
      hashes[p].push(toHex(r.mhrHash));
      return appendRecordCodec.encode(r);
    });
    const built = buildBlock(
      header,
      state,
      txs,
      T0 + DAY + 1000 * (b + 1),
      NODES[HOSPITAL]![0]!.keys.signingPublic,
      params
    );
    expect(built.dropped).toEqual([]);
    blocks.push(blockCodec.encode(built.block));
    header = built.block.header;
    state = built.state;
  }
  let height = 0;
  let read = 0;
  const store = db ?? (await freshDb());
  const open = () =>
    new PatientRecords({
      db: store,
      height: () => height,
      block: async (h) => {
        read++;
        return h >= 1 && h <= blocks.length ? { block: blocks[h - 1]! } : undefined;
      },
      consortium: () => consortium
    });
  return { index: open(), open, hashes, commit: (h: number) => (height = h), blocksRead: () => read };
}

describe('the records a hospital chain holds per patient (break-glass listing)', () => {
  it('lists each patient’s records newest first, and follows blocks committed since the last call', async () => {
    const { index, hashes, commit } = await chain([['p1', 'p2'], ['p1'], ['p2', 'p1']]);
    commit(2);
    const first = await index.list(PATIENT.keys.signingPublic);
    expect(first.records.map((r) => toHex(r.mhrHash))).toEqual([hashes.p1[1], hashes.p1[0]]);
    expect(first.records.map((r) => [r.height, r.txIndex])).toEqual([
      [2, 0],
      [1, 0]
    ]);
    expect(first.more).toBe(false);
    commit(3);
    const all = await index.list(PATIENT.keys.signingPublic);
    expect(all.records.map((r) => toHex(r.mhrHash))).toEqual([...hashes.p1].reverse());
    expect((await index.list(PATIENT_2.keys.signingPublic)).records.map((r) => toHex(r.mhrHash))).toEqual(
      [...hashes.p2].reverse()
    );
    // A key with no records here: an empty list, not an error.
    expect(await index.list(DOCTOR.keys.signingPublic)).toEqual({ records: [], more: false });
  });

  it('keeps the newest MAX_EMERGENCY_RECORDS per patient and says there are more', async () => {
    const blocks = Array.from({ length: Math.ceil((MAX_EMERGENCY_RECORDS + 3) / 64) }, () =>
      Array.from({ length: 64 }, () => 'p1' as const)
    );
    const { index, hashes, commit } = await chain(blocks);
    commit(blocks.length);
    const got = await index.list(PATIENT.keys.signingPublic);
    expect(got.more).toBe(true);
    expect(got.records).toHaveLength(MAX_EMERGENCY_RECORDS);
    expect(toHex(got.records[0]!.mhrHash)).toBe(hashes.p1.at(-1));
    // The next page: what is older than the last record listed, down to the first.
    const last = got.records.at(-1)!;
    const next = await index.list(PATIENT.keys.signingPublic, { height: last.height, txIndex: last.txIndex });
    expect(next.more).toBe(false);
    expect(next.records.map((r) => toHex(r.mhrHash))).toEqual(
      hashes.p1.slice(0, hashes.p1.length - MAX_EMERGENCY_RECORDS).reverse()
    );
  });

  it('a block missing from the store is an error, not a silently short list', async () => {
    const index = new PatientRecords({
      db: await freshDb(),
      height: () => 1,
      block: async () => undefined,
      consortium: () => world().consortium
    });
    await expect(index.list(PATIENT.keys.signingPublic)).rejects.toThrow(/missing/);
  });

  it('is kept on disk: after a restart only blocks committed since are read', async () => {
    const { index, open, hashes, commit, blocksRead } = await chain([['p1'], ['p2', 'p1'], ['p1']]);
    commit(2);
    await index.list(PATIENT.keys.signingPublic);
    expect(blocksRead()).toBe(2);
    commit(3);
    const again = await open().list(PATIENT.keys.signingPublic);
    expect(blocksRead()).toBe(3);
    expect(again.records.map((r) => toHex(r.mhrHash))).toEqual([...hashes.p1].reverse());
  });
});
