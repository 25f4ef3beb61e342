/**
 * A populated devnet for the light-client tests (Node and Chromium): REAL hospital node processes
 * (src/node, 2 hospitals × 4 nodes, 2 mirrors each, real LevelDB, real libp2p on 127.0.0.1) with a
 * registered patient, two doctors writing sealed FHIR records at two hospitals under live grants, a
 * third doctor whose grant the patient revoked, and the records indexed on the consortium — all
 * through the node engineer's devnet actors, i.e. the transactions the app sends.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import { makeRevokeTx, revokeTxCodec } from '../../src/lib/core/chain/tx/consent.js';
import { createRevocation } from '../../src/lib/core/consent/revocation.js';
import { fromHex, recordPublicKey, seededRng, toHex, utf8Bytes } from '../../src/lib/core/crypto/index.js';
import { sealRecord } from '../../src/lib/core/records/envelope.js';
import { indexTag } from '../../src/lib/core/records/index-tag.js';
import { diabetesVisit } from '../../src/lib/core/records/test-fixtures.js';
import {
  account,
  createClient,
  doctorFields,
  grantTx,
  indexedCount,
  patientFields,
  recordTx,
  registerTx,
  storeOnMirrors,
  submitOk,
  type Account,
  type GrantBundle
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

export const CATEGORY = 'IV';

export interface LightDevnet {
  layout: DevnetLayout;
  H1: DevnetNode[];
  H2: DevnetNode[];
  procs: Map<DevnetNode, ChildProcess>;
  patient: Account;
  doctor1: Account;
  doctor2: Account;
  revokedDoctor: Account;
  live: GrantBundle[];
  revoked: GrantBundle;
  /** The records written, in index order. */
  written: { hospital: string; mhrHash: string }[];
  tag: Uint8Array;
  stop(): Promise<void>;
}

export async function startLightDevnet(dir: string, label: string): Promise<LightDevnet> {
  // Not the layout's stream (seeded by `label` itself): actors' keys must differ from the managers'.
  const rng = seededRng(utf8Bytes(`${label}/actors`));
  const patient = account('Patient', rng(32));
  const doctor1 = account('Dr One (H1)', rng(32));
  const doctor2 = account('Dr Two (H2)', rng(32));
  const revokedDoctor = account('Dr Revoked (H2)', rng(32));
  const layout = await createLayout(dir, {
    hospitals: 2,
    nodesPerHospital: 4,
    mirrors: 2,
    basePort: await freePortBlock(2 * 4 * 4, 18000, 21000),
    timeouts: { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 },
    indexIntervalMs: 300,
    seed: label
  });
  const H1 = layout.hospitals[0]!.nodes;
  const H2 = layout.hospitals[1]!.nodes;
  const procs = new Map<DevnetNode, ChildProcess>();
  let actors: Libp2p | undefined;
  const stop = async () => {
    await actors?.stop();
    await Promise.all([...procs.values()].map((p) => stopProcess(p)));
  };
  try {
    for (const n of [...H1, ...H2]) procs.set(n, spawnNode(n.configFile, join(n.dir, 'node.log')));
    for (const n of [...H1, ...H2])
      await waitHealthy(n.name, n.httpUrl, procs.get(n)!, join(n.dir, 'node.log'));
    actors = await createClient();
    const client = actors;

    const managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
    const regs = [
      registerTx(patient, patientFields(rng), managers),
      registerTx(doctor1, doctorFields(doctor1.name, 'H1', 'consultant'), managers),
      registerTx(doctor2, doctorFields(doctor2.name, 'H2', 'consultant'), managers),
      registerTx(revokedDoctor, doctorFields(revokedDoctor.name, 'H2', 'registrar'), managers)
    ];
    await Promise.all(regs.map((tx) => submitOk(client, H1[0]!.addr, CONSORTIUM_CHAIN_ID, tx)));
    const now = Date.now();
    const window = { notBefore: now - 60_000, expiry: now + 3_600_000 };
    const scope = { categories: [CATEGORY], read: true, write: true };
    const live = [
      grantTx(patient, doctor1, scope, { seq: 1, ...window }),
      grantTx(patient, doctor2, scope, { seq: 2, ...window })
    ];
    const revoked = grantTx(patient, revokedDoctor, { ...scope, write: false }, { seq: 3, ...window });
    for (const g of [...live, revoked]) await submitOk(client, H2[0]!.addr, CONSORTIUM_CHAIN_ID, g.tx);
    const rev = createRevocation({
      seed: patient.seed,
      target: { grant: revoked.id },
      seq: 4,
      time: Date.now()
    } as never);
    await submitOk(client, H1[0]!.addr, CONSORTIUM_CHAIN_ID, revokeTxCodec.encode(makeRevokeTx(rev)));

    // Each hospital's validators must see the grants (they follow the consortium) before records pass.
    await Promise.all([waitConsortiumFollowed(H1, 30_000), waitConsortiumFollowed(H2, 30_000)]);

    const written: LightDevnet['written'] = [];
    const write = async (doctor: Account, grant: GrantBundle, nodes: DevnetNode[], n: number) => {
      const { blob } = sealRecord({
        bundle: diabetesVisit(n),
        category: CATEGORY,
        epoch: 0,
        patientRecordPublic: recordPublicKey(patient.seed, CATEGORY, 0),
        authorEncryptionPublic: doctor.keys.encryptionPublic,
        hospitalEncryptionPublic: fromHex(
          layout.hospitals.find((h) => h.id === nodes[0]!.hospital)!.encryptionKey
        ),
        rng: seededRng(n)
      });
      const atts = await storeOnMirrors(client, [nodes[0]!.addr, nodes[1]!.addr], blob);
      const r = recordTx(doctor, patient, nodes[0]!.hospital, CATEGORY, grant, blob, atts);
      await submitOk(client, nodes[2]!.addr, hospitalChainId(nodes[0]!.hospital), r.tx);
      written.push({ hospital: nodes[0]!.hospital, mhrHash: toHex(r.mhrHash) });
    };
    await write(doctor1, live[0]!, H1, 1);
    await write(doctor1, live[0]!, H1, 2);
    await write(doctor2, live[1]!, H2, 3);

    const tag = indexTag(patient.keys.indexKey, CATEGORY);
    // Indexed once all three are in the consortium's list for the tag (indexers batch every 300 ms).
    await waitFor(
      'three index entries',
      async () => (await indexedCount(client, H2[3]!.addr, tag)) === 3,
      60_000
    );
    return {
      layout,
      H1,
      H2,
      procs,
      patient,
      doctor1,
      doctor2,
      revokedDoctor,
      live,
      revoked,
      written,
      tag,
      stop
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
