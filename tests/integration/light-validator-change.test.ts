/**
 * A hospital's validator set changes on REAL node processes, through the real transactions, and the
 * light client follows: one hospital of four genesis nodes (weight 1 each) plus a fifth node run by a
 * doctor with their own account key (listed in every node's `validatorKeys`). Registering that doctor
 * as a medical officer (stake 2) puts them in the consortium's set for the hospital; the validators
 * adopt it with a `sync-validators` transaction; from then on no block is final without the doctor's
 * vote (4 of 6 is not more than 2/3). A rank change to consultant (stake 5) changes the set again.
 * A light client starting from the pinned genesis walks both changes on the hospital chain and
 * verifies a record in a block certified by each set, the last one only by the newest.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import { mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Libp2p } from 'libp2p';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approve } from '../../src/lib/core/accounts/approval.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import { changeSubject, rankChangeBody, rankChangeCodec } from '../../src/lib/core/chain/tx/accounts.js';
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import {
  fromHex,
  recordPublicKey,
  recordSecret,
  seededRng,
  systemRng,
  toHex,
  utf8Bytes
} from '../../src/lib/core/crypto/index.js';
import { bytesEqual } from '../../src/lib/core/encoding/cbor.js';
import { sealRecord } from '../../src/lib/core/records/envelope.js';
import { indexTag } from '../../src/lib/core/records/index-tag.js';
import { diabetesVisit } from '../../src/lib/core/records/test-fixtures.js';
import { fetchAddrs } from '../../src/lib/light/addresses.js';
import { MemoryHeadStore, type LightEvent } from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { fetchGenesis } from '../../src/lib/light/genesis.js';
import { createLightHost, NODE_TRANSPORTS } from '../../src/lib/light/host.node.js';
import { readRecords } from '../../src/lib/light/read.js';
import {
  account,
  capabilityFor,
  createClient,
  doctorFields,
  grantTx,
  indexedCount,
  patientFields,
  recordTx,
  registerTx,
  storeOnMirrors,
  submitOk,
  type Account
} from '../../src/node/devnet/actors.js';
import { createLayout, type DevnetLayout, type DevnetNode } from '../../src/node/devnet/layout.js';
import { freePortBlock } from '../../src/node/devnet/ports.js';
import {
  spawnNode,
  stopProcess,
  waitConsortiumFollowed,
  waitFor,
  waitHealthy
} from '../../src/node/devnet/process.js';
import { loadOrCreatePeerKey } from '../../src/node/p2p/identity.js';

const CATEGORY = 'IV';
const H = 'H1';
const CHAIN = hospitalChainId(H);

const dir = mkdtempSync(join(tmpdir(), 'light-valset-'));
const procs: ChildProcess[] = [];
let layout: DevnetLayout;
let nodes: DevnetNode[];
let actors: Libp2p;
let host: Libp2p;
const rng = seededRng(utf8Bytes('light-valset/actors'));
const patient = account('Patient', rng(32));
const writer = account('Dr Writer (intern)', rng(32));
const validatorDoctor = account('Dr Validator', rng(32));
let managers: Account[];

/**
 * A fifth node for the hospital whose node key is the doctor's account signing key: the doctor runs
 * a validator with their own key. Every node of the hospital lists it as a peer and as a key that
 * runs a validator, so the set the consortium assigns is adopted and can still finalise blocks.
 */
async function addDoctorNode(l: DevnetLayout, doctor: Account, port: number): Promise<DevnetNode> {
  const hospital = l.hospitals[0]!;
  const template = hospital.nodes.at(-1)!;
  const ndir = join(l.dir, H, 'node-doctor');
  mkdirSync(join(ndir, 'keys'), { recursive: true });
  writeFileSync(
    join(ndir, 'keys', 'node.json'),
    JSON.stringify({
      kind: 'carechain-node-key',
      seed: toHex(doctor.keys.signingSeed),
      publicKey: toHex(doctor.keys.signingPublic)
    }),
    { mode: 0o600 }
  );
  const peerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(join(ndir, 'keys', 'libp2p'))).toString();
  const ports = { tcp: port, ws: port + 1, webrtcDirect: port + 2, http: port + 3 };
  const node: DevnetNode = {
    ...template,
    name: 'node-doctor',
    dir: ndir,
    configFile: join(ndir, 'config.json'),
    roles: ['validator'],
    authority: false,
    publicKey: toHex(doctor.keys.signingPublic),
    peerId,
    ports,
    addr: `/ip4/127.0.0.1/tcp/${ports.tcp}/p2p/${peerId}`,
    httpUrl: `http://127.0.0.1:${ports.http}`
  };
  const config = JSON.parse(readFileSync(template.configFile, 'utf8')) as Record<string, unknown> & {
    peers: { hospital: string[] };
  };
  writeFileSync(
    node.configFile,
    JSON.stringify({
      ...config,
      name: node.name,
      roles: node.roles,
      listen: { host: '127.0.0.1', ...ports },
      peers: { ...config.peers, hospital: hospital.nodes.map((n) => n.addr) }
    })
  );
  const running = [toHex(doctor.keys.signingPublic)];
  for (const n of [...hospital.nodes, node]) {
    const c = JSON.parse(readFileSync(n.configFile, 'utf8')) as { peers: { hospital: string[] } };
    const peers = n === node ? c.peers.hospital : [...c.peers.hospital, node.addr];
    writeFileSync(
      n.configFile,
      JSON.stringify({ ...c, peers: { ...c.peers, hospital: peers }, validatorKeys: running })
    );
  }
  return node;
}

const managerApprovals = (subject: Uint8Array) =>
  managers.slice(0, Math.floor(managers.length / 2) + 1).map((m) => approve(m.keys.signingSeed, subject));

/** Every node of the hospital has applied the consortium up to where the first one is now. */
const followed = () => waitConsortiumFollowed(nodes, 30_000);

const written: string[] = [];
let grant: ReturnType<typeof grantTx>;

async function writeRecord(n: number): Promise<void> {
  const { blob } = sealRecord({
    bundle: diabetesVisit(n),
    category: CATEGORY,
    epoch: 0,
    patientRecordPublic: recordPublicKey(patient.seed, CATEGORY, 0),
    authorEncryptionPublic: writer.keys.encryptionPublic,
    hospitalEncryptionPublic: fromHex(layout.hospitals[0]!.encryptionKey),
    rng: seededRng(n)
  });
  const atts = await storeOnMirrors(actors, [nodes[0]!.addr, nodes[1]!.addr], blob);
  const r = recordTx(writer, patient, H, CATEGORY, grant, blob, atts);
  await submitOk(actors, nodes[2]!.addr, CHAIN, r.tx);
  written.push(toHex(r.mhrHash));
  const tag = indexTag(patient.keys.indexKey, CATEGORY);
  await waitFor(
    `record ${n} indexed`,
    async () => (await indexedCount(actors, nodes[3]!.addr, tag)) === written.length,
    60_000
  );
}

async function lightClient() {
  const events: LightEvent[] = [];
  const addrs = await Promise.all(nodes.map((n) => fetchAddrs(n.httpUrl, NODE_TRANSPORTS, true)));
  const c = connectLightClient({
    host,
    nodes: addrs,
    genesis: await fetchGenesis(nodes[0]!.httpUrl, layout.consortiumHash),
    store: new MemoryHeadStore(),
    signer: patient.keys,
    now: Date.now,
    rng: systemRng,
    onEvent: (e) => events.push(e)
  });
  return { c, events };
}

/** The hospital chain's sets as a light client verified them: weight of the doctor in each, in order. */
async function doctorWeights(): Promise<number[]> {
  const { c } = await lightClient();
  await c.sync(CHAIN);
  return (await c.view(CHAIN)).sets.map(
    (s) => s.set.validators.find((v) => bytesEqual(v.key, validatorDoctor.keys.signingPublic))?.weight ?? 0
  );
}

/** Waits until the hospital chain has adopted a set giving the doctor `weight`, as a light client proves. */
async function adopted(weight: number): Promise<void> {
  await waitFor(
    `hospital set with the doctor at weight ${weight}`,
    async () => (await doctorWeights()).at(-1) === weight,
    60_000
  );
}

beforeAll(async () => {
  setEd25519Backend(nodeEd25519);
  // Five nodes of 4 ports: the hospital's four, then the doctor's.
  const basePort = await freePortBlock(5 * 4, 21000, 24000);
  layout = await createLayout(dir, {
    hospitals: 1,
    nodesPerHospital: 4,
    mirrors: 2,
    basePort,
    timeouts: { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 },
    indexIntervalMs: 300,
    seed: 'light-valset'
  });
  const doctorNode = await addDoctorNode(layout, validatorDoctor, basePort + 4 * 4);
  nodes = [...layout.hospitals[0]!.nodes, doctorNode];
  for (const n of nodes) procs.push(spawnNode(n.configFile, join(n.dir, 'node.log')));
  for (const [i, n] of nodes.entries())
    await waitHealthy(n.name, n.httpUrl, procs[i]!, join(n.dir, 'node.log'));
  actors = await createClient();
  host = await createLightHost({ allowPrivateAddresses: true });
  managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));

  for (const tx of [
    registerTx(patient, patientFields(rng), managers),
    registerTx(writer, doctorFields(writer.name, H, 'intern'), managers)
  ])
    await submitOk(actors, nodes[0]!.addr, CONSORTIUM_CHAIN_ID, tx);
  const now = Date.now();
  grant = grantTx(
    patient,
    writer,
    { categories: [CATEGORY], read: true, write: true },
    { seq: 1, notBefore: now - 60_000, expiry: now + 3_600_000 }
  );
  await submitOk(actors, nodes[0]!.addr, CONSORTIUM_CHAIN_ID, grant.tx);
  await followed();
}, 300_000);

afterAll(async () => {
  await host?.stop();
  await actors?.stop();
  await Promise.all(procs.map((p) => stopProcess(p)));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('hospital validator-set changes on real nodes', () => {
  it('a record in a block certified by a new set is verified after walking each change from genesis', async () => {
    await writeRecord(1);
    expect((await doctorWeights()).at(-1)).toBe(0);

    // A validator added: the doctor registered at medical-officer rank (stake 2).
    await submitOk(
      actors,
      nodes[0]!.addr,
      CONSORTIUM_CHAIN_ID,
      registerTx(validatorDoctor, doctorFields(validatorDoctor.name, H, 'medical-officer'), managers)
    );
    await adopted(2);
    await writeRecord(2);

    // A stake change: the managers raise the doctor to consultant (stake 5).
    const body = rankChangeBody(validatorDoctor.keys.signingPublic, 'consultant', Date.now());
    await submitOk(
      actors,
      nodes[0]!.addr,
      CONSORTIUM_CHAIN_ID,
      rankChangeCodec.encode({ ...body, approvals: managerApprovals(changeSubject(body)) })
    );
    await adopted(5);
    await writeRecord(3);

    // A new client, from the pinned genesis only: it walks the hospital chain's set changes.
    const { c, events } = await lightClient();
    const got = await readRecords(
      c,
      indexTag(patient.keys.indexKey, CATEGORY),
      { capability: capabilityFor(patient, CATEGORY), grantId: null },
      { recordSecret: recordSecret(patient.seed, CATEGORY, 0) }
    );
    expect(got.map((r) => toHex(r.entry.mhrHash))).toEqual(written);
    for (const r of got) expect(r.bundle.resourceType).toBe('Bundle');
    expect([...c.dropped].map(([p, e]) => `${p}: ${e.message}`)).toEqual([]);

    const weightAt = async (height: number) =>
      (await c.setAt(CHAIN, height)).validators.find((v) =>
        bytesEqual(v.key, validatorDoctor.keys.signingPublic)
      )?.weight ?? 0;
    // Each record's block was certified by the set in charge at its height: old, added, re-weighted.
    expect(await Promise.all(got.map((r) => weightAt(r.entry.height)))).toEqual([0, 2, 5]);
    const walked = events.filter((e) => e.type === 'progress' && e.chainId === CHAIN);
    expect(walked.length).toBeGreaterThanOrEqual(2);
    // The newest set cannot finalise without the doctor's node: 4 genesis nodes of weight 1 are not > 2/3 of 9.
    const newest = await c.setAt(CHAIN, got[2]!.entry.height);
    expect(newest.validators.reduce((s, v) => s + v.weight, 0)).toBe(9);
  }, 300_000);
});
