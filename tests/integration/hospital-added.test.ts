/**
 * A hospital the managers add after genesis runs, on REAL node processes: one founding hospital of
 * four nodes, and a second laid out beside it but left out of the genesis document. A majority of
 * managers adds it (`hospital-change`); the consortium goes on committing without it until its
 * authority node, started with nothing but its config, derives the new hospital chain from the
 * hospital's entry on the consortium (its authority the only validator) and takes up its vote
 * (`authority-join`); from then on neither authority commits alone. Its four nodes register as
 * accounts (two mirrors, two validators) with the requests `carechain request` prints; the chain
 * adopts their set, after which blocks are final without the authority. A doctor of the new hospital writes a record there;
 * a light client that starts from the pinned genesis alone proves the hospital's entry, walks its
 * chain from the derived genesis and verifies the record.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Libp2p } from 'libp2p';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approve } from '../../src/lib/core/accounts/approval.js';
import { parseRequestText } from '../../src/lib/core/accounts/request-text.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import {
  changeSubject,
  hospitalChangeBody,
  hospitalChangeCodec
} from '../../src/lib/core/chain/tx/accounts.js';
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
import { sealRecord } from '../../src/lib/core/records/envelope.js';
import { indexTag } from '../../src/lib/core/records/index-tag.js';
import { diabetesVisit } from '../../src/lib/core/records/test-fixtures.js';
import { fetchAddrs } from '../../src/lib/light/addresses.js';
import { MemoryHeadStore } from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { fetchGenesis } from '../../src/lib/light/genesis.js';
import { createLightHost, NODE_TRANSPORTS } from '../../src/lib/light/host.node.js';
import { readRecords } from '../../src/lib/light/read.js';
import {
  account,
  approvedRegistration,
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
import { health, spawnNode, stopProcess, waitFor, waitHealthy } from '../../src/node/devnet/process.js';
import { loadConfig } from '../../src/node/config.js';
import { nodeRequest, postNodeRequest } from '../../src/node/node-request.js';
import { registrationSubject } from '../../src/lib/core/accounts/registration.js';
import { mailPost } from '../../src/lib/core/chain/mail.js';
import { NS } from '../../src/lib/core/chain/store.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { stateKey } from '../../src/lib/core/state/smt.js';
import { requestMailbox } from '../../src/lib/net/mailbox.js';
import { requestStateProof } from '../../src/lib/net/state-proof.js';
import { multiaddr } from '@multiformats/multiaddr';

const CATEGORY = 'IV';
const NEW = 'H2';
const CHAIN = hospitalChainId(NEW);

const dir = mkdtempSync(join(tmpdir(), 'hospital-added-'));
const procs = new Map<DevnetNode, ChildProcess>();
let layout: DevnetLayout;
let founding: DevnetNode[];
let added: DevnetNode[];
let actors: Libp2p;
let host: Libp2p;
const rng = seededRng(utf8Bytes('hospital-added/actors'));
const patient = account('Patient', rng(32));
const writer = account('Dr New Hospital', rng(32));
let managers: Account[];

async function start(nodes: DevnetNode[]): Promise<void> {
  for (const n of nodes) procs.set(n, spawnNode(n.configFile, join(n.dir, 'node.log')));
  for (const n of nodes) await waitHealthy(n.name, n.httpUrl, procs.get(n)!, join(n.dir, 'node.log'));
}

const hospitalHeight = async (n: DevnetNode) =>
  ((await health(n.httpUrl)) as { chains?: { hospital?: { height: number } } } | undefined)?.chains?.hospital
    ?.height ?? -1;

async function lightClient() {
  const running = [...procs.keys()];
  const addrs = await Promise.all(running.map((n) => fetchAddrs(n.httpUrl, NODE_TRANSPORTS, true)));
  return connectLightClient({
    host,
    nodes: addrs,
    genesis: await fetchGenesis(founding[0]!.httpUrl, layout.consortiumHash),
    store: new MemoryHeadStore(),
    signer: patient.keys,
    now: Date.now,
    rng: systemRng
  });
}

beforeAll(async () => {
  setEd25519Backend(nodeEd25519);
  const basePort = await freePortBlock(8 * 4, 24000, 27000);
  layout = await createLayout(dir, {
    hospitals: 1,
    addedHospitals: 1,
    nodesPerHospital: 4,
    mirrors: 2,
    basePort,
    timeouts: { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 },
    indexIntervalMs: 300,
    seed: 'hospital-added'
  });
  founding = layout.hospitals[0]!.nodes;
  added = layout.hospitals[1]!.nodes;
  await start(founding);
  actors = await createClient();
  host = await createLightHost({ allowPrivateAddresses: true });
  managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
}, 300_000);

afterAll(async () => {
  await host?.stop();
  await actors?.stop();
  await Promise.all([...procs.values()].map((p) => stopProcess(p)));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a hospital added after genesis', () => {
  it('runs its own chain, votes on the consortium, and its records are verified from the pinned genesis', async () => {
    const h2 = layout.hospitals[1]!;
    expect(h2.added).toBe(true);
    const body = hospitalChangeBody({
      action: 'add',
      hospital: NEW,
      name: h2.name,
      authority: fromHex(h2.authorityKey),
      authorityEncryption: fromHex(h2.encryptionKey),
      time: Date.now()
    });
    const majority = managers.slice(0, Math.floor(managers.length / 2) + 1);
    const approvals = majority.map((m) => approve(m.keys.signingSeed, changeSubject(body)));
    await submitOk(
      actors,
      founding[0]!.addr,
      CONSORTIUM_CHAIN_ID,
      hospitalChangeCodec.encode({ ...body, approvals })
    );

    // Added, the hospital does not vote yet: with its node not started, the consortium still commits.
    await submitOk(
      actors,
      founding[0]!.addr,
      CONSORTIUM_CHAIN_ID,
      registerTx(patient, patientFields(rng), managers)
    );

    // The authority node comes up on the chain derived from the hospital's entry (it alone signs there)
    // and takes up its consortium vote with an authority-join.
    await start([added[0]!]);
    await waitFor(
      'the new authority voting on the consortium',
      async () => {
        const c = await lightClient();
        await c.sync(CONSORTIUM_CHAIN_ID);
        const set = (await c.view(CONSORTIUM_CHAIN_ID)).sets.at(-1)!.set.validators.map((v) => toHex(v.key));
        return set.length === 2 && set.includes(h2.authorityKey);
      },
      60_000
    );
    // The node says so too (GET /health: its consortium vote counts now).
    await waitFor(
      'the authority node reporting its consortium vote',
      async () =>
        ((await health(added[0]!.httpUrl)) as { chains: { consortium: { voting: boolean } } }).chains
          .consortium.voting,
      30_000
    );
    // From here on the consortium commits only with both authorities: what follows needs H2's vote.
    // Each node's request, as `carechain request --config` makes it. The mirrors' as the printed text
    // the managers open; the validators' filed in the mailbox (`--post`), where a majority of managers
    // approves them and the node holding them assembles the registration.
    for (const n of added) {
      const config = loadConfig(n.configFile);
      const made = await nodeRequest(config, Date.now());
      if (n.roles.includes('mirror')) {
        const req = parseRequestText(made.text);
        if (req.kind !== 'registration') throw new Error('not a registration');
        await submitOk(
          actors,
          founding[0]!.addr,
          CONSORTIUM_CHAIN_ID,
          approvedRegistration(req.value, managers)
        );
        continue;
      }
      const peer = await postNodeRequest(actors, config.peers.consortium, made.request);
      const body = { kind: 'registration' as const, request: made.request };
      for (const m of managers.slice(0, 2)) {
        const approval = approve(m.keys.signingSeed, registrationSubject(made.request));
        const r = await requestMailbox(actors, multiaddr(peer), {
          t: TAGS.netMailRequest,
          v: 1,
          op: 'post',
          post: mailPost(body, [approval])
        });
        expect(r.op === 'post' && r.accepted).toBe(true);
      }
    }
    await waitFor(
      'every node of the new hospital registered',
      async () => {
        for (const n of added) {
          const s = await requestStateProof(actors, multiaddr(founding[0]!.addr), {
            t: TAGS.netStateRequest,
            v: 1,
            chainId: CONSORTIUM_CHAIN_ID,
            key: stateKey(NS.account, fromHex(n.publicKey)) as never,
            height: null
          });
          if (s.value === null) return false;
        }
        return true;
      },
      60_000
    );
    await start(added.slice(1));
    await submitOk(
      actors,
      added[0]!.addr,
      CONSORTIUM_CHAIN_ID,
      registerTx(writer, doctorFields(writer.name, NEW, 'intern'), managers)
    );
    const now = Date.now();
    const grant = grantTx(
      patient,
      writer,
      { categories: [CATEGORY], read: true, write: true },
      { seq: 1, notBefore: now - 60_000, expiry: now + 3_600_000 }
    );
    await submitOk(actors, founding[0]!.addr, CONSORTIUM_CHAIN_ID, grant.tx);

    // The chain adopted its registered validators: the light client sees the authority hand over.
    const validators = added.filter((n) => n.roles.includes('validator')).map((n) => n.publicKey);
    await waitFor(
      'the new hospital chain adopting its registered validators',
      async () => {
        const c = await lightClient();
        await c.sync(CHAIN);
        const sets = (await c.view(CHAIN)).sets.map((s) => s.set.validators.map((v) => toHex(v.key)).sort());
        return sets.length >= 2 && sets.at(-1)!.join() === [...validators].sort().join();
      },
      90_000
    );

    // A record written at the new hospital: stored on its two mirrors, committed by its validators.
    const { blob } = sealRecord({
      bundle: diabetesVisit(1),
      category: CATEGORY,
      epoch: 0,
      patientRecordPublic: recordPublicKey(patient.seed, CATEGORY, 0),
      authorEncryptionPublic: writer.keys.encryptionPublic,
      hospitalEncryptionPublic: fromHex(h2.encryptionKey),
      rng: seededRng(1)
    });
    const atts = await storeOnMirrors(actors, [added[0]!.addr, added[1]!.addr], blob);
    const r = recordTx(writer, patient, NEW, CATEGORY, grant, blob, atts);
    await waitFor(
      'the record accepted once its grant is followed',
      async () =>
        submitOk(actors, added[2]!.addr, CHAIN, r.tx).then(
          () => true,
          (e: Error) => (/no-grant|not-registered/.test(e.message) ? false : Promise.reject(e))
        ),
      60_000
    );
    const tag = indexTag(patient.keys.indexKey, CATEGORY);
    await waitFor(
      'the record indexed on the consortium, as the founding hospital sees it',
      async () => (await indexedCount(actors, founding[3]!.addr, tag)) === 1,
      60_000
    );

    // A new client from the pinned genesis only: the hospital's entry proven, its chain walked.
    const c = await lightClient();
    const got = await readRecords(
      c,
      tag,
      { capability: capabilityFor(patient, CATEGORY), grantId: null },
      { recordSecret: recordSecret(patient.seed, CATEGORY, 0) }
    );
    expect(got.map((x) => toHex(x.entry.mhrHash))).toEqual([toHex(r.mhrHash)]);
    expect(got[0]!.entry.hospital).toBe(NEW);
    expect(got[0]!.bundle.resourceType).toBe('Bundle');
    expect([...c.dropped].map(([p, e]) => `${p}: ${e.message}`)).toEqual([]);
    // Height 1 was signed by the authority alone; the record's block by the registered validators only.
    expect((await c.setAt(CHAIN, 1)).validators.map((v) => toHex(v.key))).toEqual([h2.authorityKey]);
    const signers = (await c.setAt(CHAIN, got[0]!.entry.height)).validators.map((v) => toHex(v.key));
    expect(signers.sort()).toEqual([...validators].sort());
    // Every node of the new hospital holds its chain up to the record's block.
    for (const n of added) expect(await hospitalHeight(n)).toBeGreaterThanOrEqual(got[0]!.entry.height);
  }, 400_000);
});
