/**
 * The light client against REAL hospital node processes (src/node, devnet layout: 2 hospitals × 4
 * nodes, real LevelDB, real libp2p on 127.0.0.1): the genesis from a node's `GET /genesis.json` checked
 * against the pinned hash, node addresses from `GET /addrs`, cold sync of the consortium and both
 * hospital chains, proven account / grant / revocation lookups, the patient's records written by two
 * doctors at two hospitals found by tag, verified against both chains and decrypted, and a mirror
 * killed (-9) while it is serving a read, failed over to the other mirror.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import { makeRevokeTx, revokeTxCodec } from '../../src/lib/core/chain/tx/consent.js';
import { createRevocation } from '../../src/lib/core/consent/revocation.js';
import {
  fromHex,
  recordPublicKey,
  recordSecret,
  seededRng,
  systemRng,
  toHex,
  utf8Bytes
} from '../../src/lib/core/crypto/index.js';
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { sealRecord } from '../../src/lib/core/records/envelope.js';
import { indexTag } from '../../src/lib/core/records/index-tag.js';
import { diabetesVisit } from '../../src/lib/core/records/test-fixtures.js';
import { MemoryHeadStore, type LightEvent } from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { fetchGenesis } from '../../src/lib/light/genesis.js';
import { fetchAddrs } from '../../src/lib/light/addresses.js';
import { createLightHost, NODE_TRANSPORTS } from '../../src/lib/light/host.node.js';
import { LightQueries } from '../../src/lib/light/queries.js';
import { fetchRecords, readRecords } from '../../src/lib/light/read.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import {
  account,
  capabilityFor,
  createClient,
  doctorFields,
  grantTx,
  patientFields,
  recordTx,
  registerTx,
  storeOnMirrors,
  submitOk,
  type Account,
  type GrantBundle
} from '../../src/node/devnet/actors.js';
import { createLayout, type DevnetLayout, type DevnetNode } from '../../src/node/devnet/layout.js';
import { health, killHard, spawnNode, stopProcess, waitFor } from '../../src/node/devnet/process.js';
import type { ConsortiumGenesis } from '../../src/lib/core/chain/genesis.js';

const CATEGORY = 'IV';
const dir = mkdtempSync(join(tmpdir(), 'light-node-'));
const rng = seededRng(utf8Bytes('light-node-test'));
const patient = account('Patient', rng(32));
const doctor1 = account('Dr One (H1)', rng(32));
const doctor2 = account('Dr Two (H2)', rng(32));
const revokedDoctor = account('Dr Revoked (H2)', rng(32));
let layout: DevnetLayout;
let H1: DevnetNode[];
let H2: DevnetNode[];
const procs = new Map<DevnetNode, ChildProcess>();
let actors: Libp2p;
let host: Libp2p;
let genesis: ConsortiumGenesis;
const written: { hospital: string; mhrHash: string }[] = [];
let live: GrantBundle[];
let revoked: GrantBundle;

const tag = () => indexTag(patient.keys.indexKey, CATEGORY);

async function write(doctor: Account, grant: GrantBundle, nodes: DevnetNode[], n: number) {
  const { blob } = sealRecord({
    bundle: diabetesVisit(n),
    category: CATEGORY,
    epoch: 0,
    patientRecordPublic: recordPublicKey(patient.seed, CATEGORY, 0),
    authorEncryptionPublic: doctor.keys.encryptionPublic,
    rng: seededRng(n)
  });
  const atts = await storeOnMirrors(actors, [nodes[0]!.addr, nodes[1]!.addr], blob);
  const r = recordTx(doctor, patient, nodes[0]!.hospital, CATEGORY, grant, blob, atts);
  await submitOk(actors, nodes[2]!.addr, hospitalChainId(nodes[0]!.hospital), r.tx);
  written.push({ hospital: nodes[0]!.hospital, mhrHash: toHex(r.mhrHash) });
}

async function lightClient(nodes: DevnetNode[], reader: Account = patient) {
  const events: LightEvent[] = [];
  const addrs = await Promise.all(nodes.map((n) => fetchAddrs(n.httpUrl, NODE_TRANSPORTS, true)));
  const c = connectLightClient({
    host,
    nodes: addrs,
    genesis,
    store: new MemoryHeadStore(),
    signer: reader.keys,
    now: Date.now,
    rng: systemRng,
    onEvent: (e) => events.push(e)
  });
  return { c, events };
}

beforeAll(async () => {
  setEd25519Backend(nodeEd25519);
  layout = await createLayout(dir, {
    hospitals: 2,
    nodesPerHospital: 4,
    mirrors: 2,
    basePort: 31000 + Math.floor(Math.random() * 2000) * 4,
    timeouts: { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 },
    indexIntervalMs: 300,
    seed: 'light-node'
  });
  H1 = layout.hospitals[0]!.nodes;
  H2 = layout.hospitals[1]!.nodes;
  for (const n of [...H1, ...H2]) procs.set(n, spawnNode(n.configFile, join(n.dir, 'node.log')));
  for (const n of [...H1, ...H2]) await waitFor(n.name, () => health(n.httpUrl), 90_000);
  actors = await createClient();
  host = await createLightHost({ allowPrivateAddresses: true });

  const managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
  const regs = [
    registerTx(patient, patientFields(rng), managers),
    registerTx(doctor1, doctorFields(doctor1.name, 'H1', 'consultant'), managers),
    registerTx(doctor2, doctorFields(doctor2.name, 'H2', 'consultant'), managers),
    registerTx(revokedDoctor, doctorFields(revokedDoctor.name, 'H2', 'registrar'), managers)
  ];
  await Promise.all(regs.map((tx) => submitOk(actors, H1[0]!.addr, CONSORTIUM_CHAIN_ID, tx)));
  const now = Date.now();
  const window = { notBefore: now - 60_000, expiry: now + 3_600_000 };
  live = [
    grantTx(patient, doctor1, { categories: [CATEGORY], read: true, write: true }, { seq: 1, ...window }),
    grantTx(patient, doctor2, { categories: [CATEGORY], read: true, write: true }, { seq: 2, ...window })
  ];
  revoked = grantTx(
    patient,
    revokedDoctor,
    { categories: [CATEGORY], read: true, write: false },
    { seq: 3, ...window }
  );
  for (const g of [...live, revoked]) await submitOk(actors, H2[0]!.addr, CONSORTIUM_CHAIN_ID, g.tx);
  const rev = createRevocation({
    seed: patient.seed,
    target: { grant: revoked.id },
    seq: 4,
    time: Date.now()
  } as never);
  await submitOk(actors, H1[0]!.addr, CONSORTIUM_CHAIN_ID, revokeTxCodec.encode(makeRevokeTx(rev)));

  // Validators of each hospital must see the grants (they follow the consortium) before records pass.
  const consortiumHeight = async (n: DevnetNode) =>
    ((await health(n.httpUrl)) as { chains: { consortium: { height: number } } } | undefined)?.chains
      .consortium.height ?? -1;
  const follows = async (nodes: DevnetNode[]) => {
    const target = await consortiumHeight(nodes[0]!);
    for (const n of nodes)
      await waitFor(
        `${n.hospital}/${n.name} follows`,
        async () => (await consortiumHeight(n)) >= target,
        30_000
      );
  };
  await Promise.all([follows(H1), follows(H2)]);
  await write(doctor1, live[0]!, H1, 1);
  await write(doctor1, live[0]!, H1, 2);
  await write(doctor2, live[1]!, H2, 3);

  genesis = await fetchGenesis(H2[3]!.httpUrl, layout.consortiumHash);
  // Wait until the consortium index holds all three (the indexers batch every 300 ms).
  await waitFor(
    'three index entries',
    async () => {
      const { c } = await lightClient([H2[3]!]);
      try {
        return (await new LightQueries(c).indexEntries(tag())).length === 3;
      } catch (e) {
        // Say which check an honest node failed: that is a bug to find, in the node or here.
        const why = [...c.dropped].map(([p, err]) => `${p}: ${err.message} ${JSON.stringify(err.data)}`);
        throw new Error(`${String(e)}; dropped: ${why.join('; ')}`);
      }
    },
    60_000
  );
}, 300_000);

afterAll(async () => {
  await host?.stop();
  await actors?.stop();
  await Promise.all([...procs.values()].map((p) => stopProcess(p)));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('light client against real nodes', () => {
  it('cold-syncs the consortium and both hospital chains from the pinned genesis', async () => {
    const { c, events } = await lightClient([H1[3]!, H2[2]!]);
    const consortium = await c.sync(CONSORTIUM_CHAIN_ID);
    const h = (await health(H2[2]!.httpUrl)) as { chains: Record<string, { height: number }> };
    expect(consortium.header.height).toBeGreaterThan(0);
    expect(consortium.header.height).toBeLessThanOrEqual(h.chains['consortium']!.height);
    for (const id of ['H1', 'H2'])
      expect((await c.sync(hospitalChainId(id))).header.height).toBeGreaterThan(0);
    // Registering doctors moves each hospital's validator set (sync-validators): the walk follows it.
    const walked = events.filter((e) => e.type === 'progress' && e.chainId.startsWith('hospital:'));
    console.log(`hospital validator-set changes walked: ${walked.length}`);
    expect(c.dropped.size).toBe(0);
  });

  it('proves the patient account, live grants, a revoked grant and an absent account', async () => {
    const q = new LightQueries((await lightClient([H1[2]!, H2[1]!])).c);
    expect((await q.account(patient.keys.signingPublic))?.role).toBe('patient');
    expect(await q.account(new Uint8Array(32).fill(9))).toBeNull();
    expect((await q.grantStatus(live[0]!.id))?.revoked).toBe(false);
    expect((await q.grantStatus(revoked.id))?.revoked).toBe(true);
  });

  it('finds the patient’s records at two hospitals by tag, verifies them against both chains, decrypts them', async () => {
    const { c } = await lightClient([H1[0]!, H2[0]!, H1[1]!, H2[1]!]);
    const got = await readRecords(
      c,
      tag(),
      { capability: capabilityFor(patient, CATEGORY), grantId: null },
      { recordSecret: recordSecret(patient.seed, CATEGORY, 0) }
    );
    expect(got.map((r) => ({ hospital: r.entry.hospital, mhrHash: toHex(r.entry.mhrHash) }))).toEqual(
      written
    );
    for (const r of got) expect(r.bundle.resourceType).toBe('Bundle');
    expect(c.dropped.size).toBe(0);
  }, 90_000);

  it('a doctor reads under a live grant; a revoked doctor gets the named refusal and no node is blamed', async () => {
    const access = (g: GrantBundle) => ({ capability: capabilityFor(patient, CATEGORY), grantId: g.id });
    const { c } = await lightClient([H1[0]!, H2[0]!], doctor2);
    const got = await fetchRecords(c, tag(), access(live[1]!));
    expect(got.map((r) => toHex(r.entry.mhrHash))).toEqual(written.map((w) => w.mhrHash));
    const refused = await lightClient([H1[0]!, H2[0]!], revokedDoctor);
    await expect(fetchRecords(refused.c, tag(), access(revoked))).rejects.toSatisfy((e) =>
      isCoreError(e, 'consent/revoked')
    );
    expect(refused.c.dropped.size).toBe(0);
  }, 90_000);

  it('a mirror killed (-9) mid-read is failed over to the other mirror', async () => {
    // H1 node2 is a mirror and a validator but not H1's consortium authority: both chains go on.
    const victim = H1[1]!;
    const { c, events } = await lightClient([victim, H1[0]!]);
    const [entry] = await new LightQueries(c).indexEntries(tag());
    await c.sync(hospitalChainId('H1'));
    const pending = c.record(tag(), entry!, { capability: capabilityFor(patient, CATEGORY), grantId: null });
    // The node holds the read open until its access-log entry commits; it dies meanwhile.
    await new Promise((r) => setTimeout(r, 150));
    await killHard(procs.get(victim)!);
    const { blob } = await pending;
    expect(toHex(blob).length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'peer-unreachable' && e.peer === victim.peerId)).toBe(true);
    expect(c.dropped.size).toBe(0);
  }, 90_000);
});
