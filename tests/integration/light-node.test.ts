/**
 * The light client against REAL hospital node processes (light-devnet.ts: 2 hospitals × 4 nodes, real
 * LevelDB, real libp2p on 127.0.0.1): the genesis from a node's `GET /genesis.json` checked against the
 * pinned hash, node addresses from `GET /addrs`, cold sync of the consortium and both hospital chains,
 * proven account / grant / revocation lookups, the patient's records written by two doctors at two
 * hospitals found by tag, verified against both chains and decrypted, a doctor reading under a grant
 * (each read proven on the record's hospital chain as an access-log entry) and a revoked one refused
 * by name, and a mirror killed (-9) mid-read, failed over to the other one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import type { ConsortiumGenesis } from '../../src/lib/core/chain/genesis.js';
import {
  fromHex,
  recordSecret,
  seededRng,
  systemRng,
  toHex,
  utf8Bytes
} from '../../src/lib/core/crypto/index.js';
import { indexTag } from '../../src/lib/core/records/index-tag.js';
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import { pageCodec } from '../../src/lib/core/chain/entries.js';
import { NS, pageId } from '../../src/lib/core/chain/store.js';
import { accessLogCodec } from '../../src/lib/core/chain/tx/access-log.js';
import { stateKey } from '../../src/lib/core/state/smt.js';
import { MemoryHeadStore, type LightEvent } from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { fetchGenesis } from '../../src/lib/light/genesis.js';
import { fetchAddrs } from '../../src/lib/light/addresses.js';
import { createLightHost, NODE_TRANSPORTS } from '../../src/lib/light/host.node.js';
import { LightQueries } from '../../src/lib/light/queries.js';
import { fetchRecords, readRecords } from '../../src/lib/light/read.js';
import {
  account,
  capabilityFor,
  createClient,
  patientFields,
  registerTx,
  submitOk,
  type Account,
  type GrantBundle
} from '../../src/node/devnet/actors.js';
import { writeDemoHistory, type DemoHistory } from '../../src/node/devnet/demo-history.js';
import type { DevnetNode } from '../../src/node/devnet/layout.js';
import { health, killHard, waitFor } from '../../src/node/devnet/process.js';
import { CATEGORY, startLightDevnet, type LightDevnet } from './light-devnet.js';

const dir = mkdtempSync(join(tmpdir(), 'light-node-'));
let net: LightDevnet;
let H1: DevnetNode[];
let H2: DevnetNode[];
let patient: Account;
let live: GrantBundle[];
let revoked: GrantBundle;
let written: LightDevnet['written'];
let host: Libp2p;
let genesis: ConsortiumGenesis;
const tag = () => net.tag;

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
  net = await startLightDevnet(dir, 'light-node');
  ({ H1, H2, patient, live, revoked, written } = net);
  host = await createLightHost({ allowPrivateAddresses: true });
  genesis = await fetchGenesis(H2[3]!.httpUrl, net.layout.consortiumHash);
}, 300_000);

afterAll(async () => {
  await host?.stop();
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('light client against real nodes', () => {
  it('cold-syncs the consortium and both hospital chains from the pinned genesis', async () => {
    const { c, events } = await lightClient([H1[3]!, H2[2]!]);
    const consortium = await c.sync(CONSORTIUM_CHAIN_ID);
    // The client takes the highest head either node proves: never above what the nodes hold.
    const held = await Promise.all(
      [H1[3]!, H2[2]!].map(
        async (n) =>
          ((await health(n.httpUrl)) as { chains: Record<string, { height: number }> }).chains['consortium']!
            .height
      )
    );
    expect(consortium.header.height).toBeGreaterThan(0);
    expect(consortium.header.height).toBeLessThanOrEqual(Math.max(...held));
    for (const id of ['H1', 'H2'])
      expect((await c.sync(hospitalChainId(id))).header.height).toBeGreaterThan(0);
    // Registering doctors moves each hospital's validator set (sync-validators): the walk follows it.
    const walked = events.filter((e) => e.type === 'progress' && e.chainId.startsWith('hospital:'));
    console.log(`hospital validator-set changes walked: ${walked.length}`);
    expect([...c.dropped].map(([p, e]) => `${p}: ${e.message}`)).toEqual([]);
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
    expect([...c.dropped].map(([p, e]) => `${p}: ${e.message}`)).toEqual([]);
  }, 90_000);

  it('a doctor reads under a live grant; a revoked doctor gets the named refusal and no node is blamed', async () => {
    const access = (g: GrantBundle) => ({ capability: capabilityFor(patient, CATEGORY), grantId: g.id });
    const { c } = await lightClient([H1[0]!, H2[0]!], net.doctor2);
    const got = await fetchRecords(c, tag(), access(live[1]!));
    expect(got.map((r) => toHex(r.entry.mhrHash))).toEqual(written.map((w) => w.mhrHash));
    // Every read served (a node's share in one request) is on the record's hospital chain, proven.
    for (const r of got) {
      const chain = hospitalChainId(r.entry.hospital);
      await c.sync(chain);
      const raw = await c.state(chain, stateKey(NS.access, pageId(r.entry.mhrHash, 0)));
      const logs = raw ? pageCodec.decode(raw).entries.map((e) => accessLogCodec.decode(e)) : [];
      expect(
        logs.some(
          (l) =>
            toHex(l.reader) === toHex(net.doctor2.keys.signingPublic) &&
            l.purpose === `grant:${toHex(live[1]!.id)}`
        )
      ).toBe(true);
    }
    const refused = await lightClient([H1[0]!, H2[0]!], net.revokedDoctor);
    await expect(fetchRecords(refused.c, tag(), access(revoked))).rejects.toSatisfy((e) =>
      isCoreError(e, 'consent/revoked')
    );
    expect(refused.c.dropped.size).toBe(0);
  }, 90_000);

  it('the devnet’s demo history: a record at each hospital, found and decrypted by the patient, the grants revoked', async () => {
    const managers = net.layout.managers.map((m) => account(m.name, fromHex(m.seed)));
    const demo = account('Demo patient', seededRng(utf8Bytes('light-node/demo'))(32));
    const fields = patientFields(systemRng);
    const client = await createClient();
    let history: DemoHistory;
    try {
      await submitOk(client, H1[0]!.addr, CONSORTIUM_CHAIN_ID, registerTx(demo, fields, managers));
      history = await writeDemoHistory(
        client,
        net.layout,
        { ...demo, pseudonym: toHex(fields.pseudonym) },
        new Map([
          ['H1', net.doctor1],
          ['H2', net.doctor2]
        ])
      );
    } finally {
      await client.stop();
    }
    expect(history.records).toBe(2);
    const { c } = await lightClient([H1[1]!, H2[1]!], demo);
    const read = (category: string) =>
      readRecords(
        c,
        indexTag(demo.keys.indexKey, category),
        { capability: capabilityFor(demo, category), grantId: null },
        { recordSecret: recordSecret(demo.seed, category, history.epoch) }
      );
    for (const [category, hospital, code] of [
      ['IV', 'H1', 'E11.9'],
      ['IX', 'H2', 'I10']
    ] as const) {
      // Indexed on the consortium a few hundred ms after the hospital block commits: follow its head.
      const got = await waitFor(
        `the ${category} record indexed`,
        async () => {
          await c.sync(CONSORTIUM_CHAIN_ID);
          const r = await read(category);
          return r.length > 0 && r;
        },
        30_000
      );
      expect(got.map((r) => r.entry.hospital)).toEqual([hospital]);
      expect(JSON.stringify(got[0]!.bundle)).toContain(`"code":"${code}"`);
    }
    const q = new LightQueries(c);
    for (const id of history.grants) expect((await q.grantStatus(id))?.revoked).toBe(true);
  }, 180_000);

  it('a mirror killed (-9) mid-read is failed over to the other mirror', async () => {
    // H1 node2 is a mirror and a validator but not H1's consortium authority: both chains go on.
    const victim = H1[1]!;
    const { c, events } = await lightClient([victim, H1[0]!]);
    const [entry] = await new LightQueries(c).indexEntries(tag());
    await c.sync(hospitalChainId('H1'));
    // Frozen first, so the read is surely in flight at the victim when it dies (not already answered).
    const proc = net.procs.get(victim)!;
    proc.kill('SIGSTOP');
    const pending = c.record(tag(), entry!, { capability: capabilityFor(patient, CATEGORY), grantId: null });
    await new Promise((r) => setTimeout(r, 300));
    await killHard(proc);
    const { blob } = await pending;
    expect(toHex(blob).length).toBeGreaterThan(0);
    const seen = events.map(
      (e) => `${e.type} ${'peer' in e ? e.peer : ''} ${'error' in e ? String(e.error) : ''}`
    );
    expect(
      seen.filter((e) => e.startsWith(`peer-unreachable ${victim.peerId}`)),
      seen.join('\n')
    ).not.toEqual([]);
    expect([...c.dropped].map(([p, e]) => `${p}: ${e.message}`)).toEqual([]);
  }, 90_000);
});
