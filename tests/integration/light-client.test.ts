/**
 * The light client in Node over real libp2p (TCP on loopback) against separate server processes that
 * serve a world made by the real core code (light-world.ts): cold sync over authority-set changes,
 * resume from the persisted head, every lie a node can tell detected with its named error while the
 * client still gets the right answer from an honest node, and a node killed mid-query failed over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { consortiumGenesisCodec } from '../../src/lib/core/chain/genesis.js';
import { CONSORTIUM_CHAIN_ID } from '../../src/lib/core/chain/header.js';
import { recordSecret, systemRng, toHex } from '../../src/lib/core/crypto/index.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import { indexEntryCodec } from '../../src/lib/core/chain/tx/index-batch.js';
import {
  MemoryHeadStore,
  type HeadStore,
  type LightClient,
  type LightEvent
} from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { acceptGenesis } from '../../src/lib/light/genesis.js';
import { FileHeadStore } from '../../src/lib/light/head-store.node.js';
import { createLightHost } from '../../src/lib/light/host.node.js';
import { LightQueries } from '../../src/lib/light/queries.js';
import { fetchRecords, readRecords } from '../../src/lib/light/read.js';
import { startServer, type ServedHost, type Server } from './light-harness.js';
import type { Mode } from './light-server.node.js';
import { buildWorld, CATEGORY, patientAccess, SMALL_WORLD, type World } from './light-world.js';

const LIARS: Mode[] = [
  'alter-blob',
  'alter-index',
  'forge-header',
  'withhold-index',
  'hide-revocation',
  'stale',
  'rewrite-hospital'
];

let dir: string;
let world: World;
let main: Server;
let doomed: Server;
let host: Libp2p;

beforeAll(async () => {
  setEd25519Backend(nodeEd25519);
  dir = mkdtempSync(join(tmpdir(), 'light-client-'));
  world = buildWorld(SMALL_WORLD);
  [main, doomed] = await Promise.all([
    startServer(join(dir, 'main'), SMALL_WORLD, ['honest', ...LIARS]),
    startServer(join(dir, 'doomed'), SMALL_WORLD, ['slow'])
  ]);
  host = await createLightHost({ allowPrivateAddresses: true });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await Promise.all([main?.stop(), doomed?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function client(hosts: ServedHost[], store: HeadStore = new MemoryHeadStore()) {
  const events: LightEvent[] = [];
  const c = connectLightClient({
    host,
    nodes: hosts.map((h) => h.addrs.filter((a) => !a.includes('/ws')).map((a) => multiaddr(a))),
    genesis: world.genesis,
    store,
    signer: world.patient.keys,
    now: Date.now,
    rng: systemRng,
    onEvent: (e) => events.push(e)
  });
  return { c, events };
}

const dropped = (c: LightClient, h: ServedHost) => c.dropped.get(h.peerId)?.code;
const tag = () => world.records[0]!.tag;
const readAll = (c: LightClient) =>
  readRecords(c, tag(), patientAccess(world), {
    recordSecret: recordSecret(world.patient.seed, CATEGORY, 0)
  });

function expectAllRecords(got: Awaited<ReturnType<typeof readAll>>) {
  expect(got.map((r) => toHex(r.entry.mhrHash))).toEqual(world.records.map((r) => toHex(r.entry.mhrHash)));
  for (const r of got) {
    expect(r.bundle.resourceType).toBe('Bundle');
    expect(r.checks).toContain('SHA-256 of the received bytes equals both hashes');
  }
}

describe('trusted start', () => {
  const file = () => ({
    kind: 'carechain-genesis',
    consortiumHash: world.genesisHash,
    consortium: toHex(consortiumGenesisCodec.encode(world.genesis))
  });

  it('accepts the served genesis only when it hashes to the pinned value', () => {
    expect(acceptGenesis(file(), world.genesisHash).hospitals.map((h) => h.id)).toEqual(
      world.genesis.hospitals.map((h) => h.id)
    );
    const other = consortiumGenesisCodec.encode({ ...world.genesis, time: world.genesis.time + 1 });
    // The file's own consortiumHash is not believed: only the pinned value counts.
    expect(() => acceptGenesis({ ...file(), consortium: toHex(other) }, world.genesisHash)).toThrow(
      /genesis: hash is not the pinned one/
    );
    expect(() => acceptGenesis({ kind: 'x' }, world.genesisHash)).toThrow(/light\/proof-invalid/);
  });
});

describe('light client over libp2p', () => {
  it('cold-syncs the consortium over every authority-set change, then each hospital chain', async () => {
    const { c, events } = client([main.host('honest')]);
    const head = await c.sync(CONSORTIUM_CHAIN_ID);
    expect(head.header.height).toBe(world.consortium.head.header.height);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress).toHaveLength(world.consortium.changes.length);
    for (const h of world.hospitals) expect((await c.sync(h.chainId)).header.height).toBe(h.blocks.length);
  });

  it('resumes from the head persisted in a file, without walking the set changes again', async () => {
    const store = new FileHeadStore(join(dir, 'heads'));
    await client([main.host('honest')], store).c.sync(CONSORTIUM_CHAIN_ID);
    const again = client([main.host('honest')], new FileHeadStore(join(dir, 'heads')));
    expect((await again.c.view(CONSORTIUM_CHAIN_ID)).head.header.height).toBe(
      world.consortium.head.header.height
    );
    await again.c.sync(CONSORTIUM_CHAIN_ID);
    expect(again.events.filter((e) => e.type === 'progress')).toHaveLength(0);
  });

  it('proves presence and absence: the patient account, a live grant, a revoked grant', async () => {
    const q = new LightQueries(client([main.host('honest')]).c);
    expect((await q.account(world.patient.keys.signingPublic))?.role).toBe('patient');
    expect(await q.account(new Uint8Array(32).fill(7))).toBeNull();
    expect((await q.grantStatus(world.grantId))?.revoked).toBe(false);
    expect((await q.grantStatus(world.revokedGrantId))?.revoked).toBe(true);
  });

  it('reads every record of the tag from three hospitals, verified and decrypted', async () => {
    expectAllRecords(await readAll(client([main.host('honest')]).c));
  });

  it('a forged head: header-unsigned, liar dropped, honest head kept', async () => {
    const liar = main.host('forge-header');
    const { c } = client([liar, main.host('honest')]);
    expect((await c.sync(CONSORTIUM_CHAIN_ID)).header.height).toBe(world.consortium.head.header.height);
    expect(dropped(c, liar)).toBe('light/header-unsigned');
  });

  it('a withheld index entry: withheld, and the complete list from the honest node', async () => {
    const liar = main.host('withhold-index');
    const { c } = client([liar, main.host('honest')]);
    const entries = await new LightQueries(c).indexEntries(tag());
    expect(entries.map((e) => toHex(indexEntryCodec.encode(e)))).toEqual(
      world.records.map((r) => toHex(indexEntryCodec.encode(r.entry)))
    );
    expect(dropped(c, liar)).toBe('light/withheld');
  });

  it('an altered index entry: proof-invalid, and the true entries from the honest node', async () => {
    const liar = main.host('alter-index');
    const { c } = client([liar, main.host('honest')]);
    const entries = await new LightQueries(c).indexEntries(tag());
    expect(entries).toHaveLength(world.records.length);
    expect(toHex(entries[0]!.mhrHash)).toBe(toHex(world.records[0]!.entry.mhrHash));
    expect(dropped(c, liar)).toBe('light/proof-invalid');
  });

  it('a hidden revocation: withheld, and the revocation proven by the honest node', async () => {
    const liar = main.host('hide-revocation');
    const { c } = client([liar, main.host('honest')]);
    expect((await new LightQueries(c).grantStatus(world.revokedGrantId))?.revoked).toBe(true);
    expect(dropped(c, liar)).toBe('light/withheld');
  });

  it('a stale head: stale (not believed, not dropped), and the current answer from the honest node', async () => {
    const liar = main.host('stale');
    const { c, events } = client([liar, main.host('honest')]);
    expect((await c.sync(CONSORTIUM_CHAIN_ID)).header.height).toBe(world.consortium.head.header.height);
    // At its height the grant was not yet revoked; the client has verified a newer state.
    expect((await new LightQueries(c).grantStatus(world.revokedGrantId))?.revoked).toBe(true);
    const stale = events.filter((e) => e.type === 'peer-stale' && e.peer === liar.peerId);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((e) => e.type === 'peer-stale' && e.error.code === 'light/stale')).toBe(true);
    await c.sync(CONSORTIUM_CHAIN_ID);
    expect(events.filter((e) => e.type === 'peer-stale').length).toBeGreaterThan(stale.length);
  });

  it('an altered blob: record-altered, and every record from the honest node', async () => {
    const liar = main.host('alter-blob');
    const { c } = client([liar, main.host('honest')]);
    expectAllRecords(await readAll(c));
    expect(dropped(c, liar)).toBe('light/record-altered');
  });

  it('a rewritten hospital block (re-signed by its validators): index-mismatch, true records kept', async () => {
    const liar = main.host('rewrite-hospital');
    const { c } = client([liar, main.host('honest')]);
    expectAllRecords(await readAll(c));
    expect(dropped(c, liar)).toBe('light/index-mismatch');
  });

  it('a read the nodes refuse comes back as the named refusal for each record, and no node is blamed', async () => {
    const { c } = client([main.host('honest'), main.host('alter-index')]);
    const wrong = { capability: new Uint8Array(32).fill(5), grantId: null };
    const entries = await new LightQueries(client([main.host('honest')]).c).indexEntries(tag());
    const got = await c.records(tag(), entries, wrong);
    expect(got.map((g) => (g instanceof Error ? (g as { code?: string }).code : 'record'))).toEqual(
      entries.map(() => 'consent/out-of-scope')
    );
    expect(c.dropped.size).toBe(0);
    await expect(fetchRecords(c, tag(), wrong)).rejects.toSatisfy((e) =>
      isCoreError(e, 'consent/out-of-scope')
    );
  });

  it('a node killed mid-query is failed over', async () => {
    const victim = doomed.host('slow');
    const { c, events } = client([victim, main.host('honest')]);
    const r = world.records[0]!;
    const pending = c.record(r.tag, r.entry, patientAccess(world));
    // The slow node holds the blob request open; it dies with the stream open.
    await new Promise((res) => setTimeout(res, 700));
    doomed.kill();
    const { blob } = await pending;
    expect(toHex(blob)).toBe(toHex(r.blob));
    expect(events.some((e) => e.type === 'peer-unreachable' && e.peer === victim.peerId)).toBe(true);
    expect(c.dropped.has(victim.peerId)).toBe(false);
  });

  it('a node without the one-request record protocol is read the old way (proof and blob apart)', async () => {
    const older = await startServer(join(dir, 'older'), SMALL_WORLD, ['honest'], { LIGHT_NO_RECORD: '1' });
    try {
      const { c } = client([older.host('honest')]);
      expectAllRecords(await readAll(c));
      expect(c.dropped.size).toBe(0);
    } finally {
      await older.stop();
    }
  });

  it('offline, serves what it verified before, marked cached as of its height; never while a node answers', async () => {
    const gone = await startServer(join(dir, 'gone'), SMALL_WORLD, ['honest']);
    const heads = join(dir, 'offline-heads');
    const height = world.consortium.head.header.height;
    try {
      const online = client([gone.host('honest')], new FileHeadStore(heads)).c;
      const fresh = await readAll(online);
      expectAllRecords(fresh);
      expect(fresh.every((r) => r.cachedAsOf === undefined)).toBe(true);
      const q = new LightQueries(online);
      expect(await q.provenGrantStatus(world.revokedGrantId)).toMatchObject({
        value: { revoked: true },
        cached: false,
        height
      });
      await q.provenGrantStatus(world.grantId);
      await online.settled();
    } finally {
      await gone.stop();
    }
    // The only node is down: the device's answers, each marked cached as of the height proven at.
    const offline = client([gone.host('honest')], new FileHeadStore(heads));
    const cached = await readAll(offline.c);
    expectAllRecords(cached);
    expect(cached.map((r) => r.cachedAsOf)).toEqual(cached.map(() => height));
    const q = new LightQueries(offline.c);
    expect(await q.provenGrantStatus(world.revokedGrantId)).toMatchObject({
      value: { revoked: true },
      cached: true,
      height
    });
    expect(await q.provenGrantStatus(world.grantId)).toMatchObject({
      value: { revoked: false },
      cached: true
    });
    // The fresh-only queries never fall back, and what was never verified is not invented.
    await expect(q.grantStatus(world.revokedGrantId)).rejects.toThrow();
    await expect(q.provenIndexEntries(new Uint8Array(32).fill(3))).rejects.toThrow();
    expect(offline.events.some((e) => e.type === 'peer-unreachable')).toBe(true);

    // A node that answers, even a stale one, is never overruled by the cache: its answer is judged.
    const reachable = client([main.host('stale')], new FileHeadStore(heads)).c;
    await expect(new LightQueries(reachable).provenGrantStatus(world.revokedGrantId)).rejects.toSatisfy((e) =>
      isCoreError(e, 'light/stale')
    );
    const honest = await new LightQueries(
      client([main.host('honest')], new FileHeadStore(heads)).c
    ).provenIndexEntries(tag());
    expect(honest).toMatchObject({ cached: false, height });
    expect(honest.value).toHaveLength(world.records.length);
  });

  it('with only liars left, the client says so by name rather than answering', async () => {
    const { c } = client([main.host('forge-header')]);
    await expect(c.sync(CONSORTIUM_CHAIN_ID)).rejects.toSatisfy((e) => isCoreError(e, 'light/no-peers'));
  });
});
