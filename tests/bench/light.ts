/**
 * `npm run bench -- light`: the light client in Chromium (and, for comparison, in Node) against a
 * node process per hospital (three), each serving a world made by the real core code
 * (tests/integration/light-world.ts) over real libp2p on loopback (WebSockets for Chromium, TCP for
 * Node); the client asks all three, records starting at successive nodes:
 *
 * - cold_sync_ms_*: from the pinned genesis to the verified head of a consortium of 100,000 blocks
 *   with 12 authority-set changes (12 change proofs and the head travel; dial included);
 * - verified_fetch_20_records_3_hospitals_ms_*: a tag's index proven complete, three hospital heads
 *   synced, 20 records' blocks, inclusion proofs and blobs fetched (one record-protocol request per
 *   node for its share, net/record-fetch.ts) and checked against both chains
 *   (decryption and FHIR validation of the 20 follow, timed apart as decrypt_20_records_ms_chromium);
 * - verify_record_ms_chromium: one record's checks end to end with the network taken out (index page
 *   proof, hospital certificate, inclusion proof, blob hash, decryption and FHIR validation).
 *
 * Each figure is the median of RUNS fresh clients (new libp2p node, new IndexedDB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { multiaddr } from '@multiformats/multiaddr';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { bundleForBrowser } from '../e2e/bundle.js';
import type * as Entry from '../e2e/light-client.entry.js';
import { startServer } from '../integration/light-harness.js';
import { buildWorld, CATEGORY, patientAccess, type WorldOptions } from '../integration/light-world.js';
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { recordSecret, systemRng, toHex } from '../../src/lib/core/crypto/index.js';
import { CONSORTIUM_CHAIN_ID } from '../../src/lib/core/chain/header.js';
import { searchCapability } from '../../src/lib/core/records/index-tag.js';
import { MemoryHeadStore } from '../../src/lib/light/client.js';
import { connectLightClient } from '../../src/lib/light/connect.js';
import { createLightHost } from '../../src/lib/light/host.node.js';
import { fetchRecords } from '../../src/lib/light/read.js';
import { percentile } from './report.js';

const WORLD: WorldOptions = {
  hospitals: 3,
  recordsPerHospital: 0,
  totalRecords: 20,
  consortiumHeight: 100_000,
  setChanges: 12
};
const RUNS = 5;

type Cc = typeof Entry;
const median = (xs: number[]) => percentile(xs, 50);

export async function benchLight(): Promise<Record<string, number>> {
  setEd25519Backend(nodeEd25519);
  const dir = mkdtempSync(join(tmpdir(), 'light-bench-'));
  const world = buildWorld(WORLD);
  // One node process per hospital, as in the field: each hospital's records come from its own nodes.
  const [code, ...servers] = await Promise.all([
    bundleForBrowser('tests/e2e/light-client.entry.ts'),
    ...[1, 2, 3].map((h) => startServer(join(dir, `h${h}`), WORLD, ['honest']))
  ]);
  const honest = servers.map((s) => s.host('honest'));
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS
  });
  try {
    const input = (dbName: string): Entry.RunInput => ({
      nodes: honest.map((h) => h.httpUrl),
      pinned: world.genesisHash,
      transports: ['ws'],
      dbName,
      tag: toHex(world.records[0]!.tag),
      capability: toHex(searchCapability(world.patient.keys.indexKey, CATEGORY)),
      recordSecret: toHex(recordSecret(world.patient.seed, CATEGORY, 0)),
      signingSeed: toHex(world.patient.keys.signingSeed),
      signingPublic: toHex(world.patient.keys.signingPublic),
      read: true
    });
    const page = await browser.newPage();
    await page.goto(`${honest[0]!.httpUrl}/`);
    await page.addScriptTag({ content: code });
    const sync: number[] = [];
    const fetch: number[] = [];
    const decrypt: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const out = await page.evaluate(
        (i) => (globalThis as never as { cc: Cc }).cc.run(i),
        input(`bench-${r}`)
      );
      if (out.error || out.height !== WORLD.consortiumHeight || out.records.length !== 20)
        throw new Error(`bench run failed: ${JSON.stringify(out)}`);
      sync.push(out.coldSyncMs);
      fetch.push(out.fetchMs);
      decrypt.push(out.decryptMs);
    }
    const verify = await page.evaluate(
      (i) => (globalThis as never as { cc: Cc }).cc.benchVerify(i, 100),
      input('bench-verify')
    );

    // The same client in Node over TCP, for comparison.
    const nodeSync: number[] = [];
    const nodeFetch: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const host = await createLightHost({ allowPrivateAddresses: true });
      const c = connectLightClient({
        host,
        nodes: honest.map((h) => h.addrs.filter((a) => !a.includes('/ws')).map((a) => multiaddr(a))),
        genesis: world.genesis,
        store: new MemoryHeadStore(),
        signer: world.patient.keys,
        now: Date.now,
        rng: systemRng
      });
      const t0 = performance.now();
      await c.sync(CONSORTIUM_CHAIN_ID);
      const t1 = performance.now();
      const got = await fetchRecords(c, world.records[0]!.tag, patientAccess(world));
      const t2 = performance.now();
      if (got.length !== 20) throw new Error('node bench read the wrong records');
      nodeSync.push(t1 - t0);
      nodeFetch.push(t2 - t1);
      await host.stop();
    }
    return {
      // Other work on this (2-core) host slows every figure: the 1-minute load average, for the reader.
      host_load_1m: Math.round(loadavg()[0]! * 100) / 100,
      consortium_blocks: WORLD.consortiumHeight,
      authority_set_changes: WORLD.setChanges,
      cold_sync_ms_chromium_first: sync[0]!,
      cold_sync_ms_node: median(nodeSync),
      verified_fetch_20_records_3_hospitals_ms_node: median(nodeFetch),
      cold_sync_ms_chromium: median(sync),
      decrypt_20_records_ms_chromium: median(decrypt),
      verified_fetch_20_records_3_hospitals_ms_chromium: median(fetch),
      verify_record_ms_chromium: verify.ms
    };
  } finally {
    await browser.close();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
