/**
 * Scenario 4, third part — nodes lying to light clients: a real process (light-liar.ts) that relays a
 * real node's answers but alters blobs, or state and transaction proofs. A light client (src/lib/light,
 * trusted genesis pinned by hash) asked first of the liar, then of an honest node, must detect the lie,
 * drop the liar with a named light/* error, and still return the patient's records with bytes whose
 * hash is the one both chains hold.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Libp2p } from 'libp2p';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsortiumGenesis } from '../../src/lib/core/chain/genesis.js';
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { sha256, systemRng, toHex } from '../../src/lib/core/crypto/index.js';
import { indexTag } from '../../src/lib/core/records/index-tag.js';
import { fetchAddrs } from '../../src/lib/light/addresses.js';
import { MemoryHeadStore, type LightEvent } from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { fetchGenesis } from '../../src/lib/light/genesis.js';
import { createLightHost, NODE_TRANSPORTS } from '../../src/lib/light/host.node.js';
import { LightQueries } from '../../src/lib/light/queries.js';
import { capabilityFor } from '../../src/node/devnet/actors.js';
import {
  CONSORTIUM_CHAIN_ID,
  hospitalChainId,
  Net,
  setupActors,
  waitFor,
  writeRecord,
  type Actors
} from './harness.js';
import { report } from './results.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIAR = fileURLToPath(new URL('./light-liar.ts', import.meta.url));
/** Each liar stops itself after this long; the checks take a few seconds. */
const LIAR_MS = 90_000;

let net: Net;
let a: Actors;
let host: Libp2p;
let genesis: ConsortiumGenesis;
const blobs: Record<string, string> = {};
const liars: ChildProcess[] = [];
const figures: Record<string, number | string> = {};

beforeAll(async () => {
  setEd25519Backend(nodeEd25519);
  net = await Net.start({ name: 'light-liars' });
  a = await setupActors(net);
  for (let i = 0; i < 2; i++) {
    // The record's blob, kept so the lying "mirror" holds the same bytes an honest one does.
    const r = await writeRecord(net, a, net.h1[i]!);
    expect(r.acked, r.error).toBe(true);
    blobs[toHex(r.mhrHash)] = toHex(r.blob);
  }
  host = await createLightHost({ allowPrivateAddresses: true });
  genesis = await fetchGenesis(net.h1[3]!.httpUrl, net.layout.consortiumHash);
}, 240_000);

afterAll(async () => {
  report('light-liars', figures);
  for (const l of liars) l.kill('SIGKILL');
  await host?.stop();
  await net?.close();
}, 60_000);

async function startLiar(mode: 'blob' | 'proof'): Promise<{ peerId: string; addrs: string[] }> {
  const file = join(net.dir, `blobs-${mode}.json`);
  writeFileSync(file, JSON.stringify(blobs));
  const p = spawn(process.execPath, ['--import', 'tsx', LIAR, mode, net.h1[2]!.addr, file, String(LIAR_MS)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit']
  });
  liars.push(p);
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return waitFor(
    `liar ${mode} listening`,
    async () =>
      out.includes('\n')
        ? (JSON.parse(out.split('\n')[0]!) as { peerId: string; addrs: string[] })
        : undefined,
    60_000
  );
}

describe('nodes serving altered blobs and proofs to light clients', () => {
  for (const mode of ['blob', 'proof'] as const)
    it(`a node altering ${mode}s is detected and dropped; the records still arrive intact`, async () => {
      const liar = await startLiar(mode);
      const events: LightEvent[] = [];
      const honest = await fetchAddrs(net.h1[1]!.httpUrl, NODE_TRANSPORTS, true);
      const c = connectLightClient({
        host,
        nodes: [liar.addrs.filter((x) => x.includes('/tcp/')).map((x) => multiaddr(x)), honest],
        genesis,
        store: new MemoryHeadStore(),
        signer: a.patient.keys,
        now: Date.now,
        rng: systemRng,
        onEvent: (e) => events.push(e)
      });
      const tag = indexTag(a.patient.keys.indexKey, a.category);
      const entries = await waitFor(
        'records indexed',
        async () => {
          // A light client reads state at the head it verified; the index batch may commit after the
          // client's first sync, so each try syncs the consortium again first.
          await c.sync(CONSORTIUM_CHAIN_ID);
          const e = await new LightQueries(c).indexEntries(tag);
          return e.length >= Object.keys(blobs).length ? e : undefined;
        },
        30_000
      ).catch((e: unknown) => {
        // What the light client went through, so a failure here says why.
        console.log(`${mode} liar: light client events`, JSON.stringify(events).slice(0, 4000));
        throw e;
      });
      await c.sync(hospitalChainId('H1'));
      for (const entry of entries) {
        const { blob } = await c.record(tag, entry, {
          capability: capabilityFor(a.patient, a.category),
          grantId: null
        });
        expect(toHex(sha256(blob))).toBe(toHex(entry.mhrHash));
      }
      const dropped = c.dropped.get(liar.peerId);
      figures[`${mode}_liar_dropped_with`] = dropped?.code ?? 'NOT DROPPED';
      expect(dropped?.code, `the ${mode} liar must be named and dropped`).toMatch(/^light\//);
      expect(events.some((e) => e.type === 'peer-dropped' && e.peer === liar.peerId)).toBe(true);
      expect([...c.dropped.keys()]).toEqual([liar.peerId]);
    });
});
