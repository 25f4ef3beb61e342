/**
 * The light client inside Chromium against real server processes (real libp2p, real core data,
 * light-server.node.ts): genesis over HTTP checked against the pinned hash, cold sync over authority-set
 * changes, every record of a tag read from three hospitals and decrypted while lying nodes are caught by
 * name, over WebSockets and over WebRTC-Direct; the verified head survives a reload (IndexedDB), and
 * with every node down the records verified before are served from IndexedDB, marked cached.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { bundleForBrowser } from './bundle.js';
import { startServer, type Server } from '../integration/light-harness.js';
import { buildWorld, CATEGORY, SMALL_WORLD, type World } from '../integration/light-world.js';
import { recordSecret, toHex } from '../../src/lib/core/crypto/index.js';
import { searchCapability } from '../../src/lib/core/records/index-tag.js';
import type * as Entry from './light-client.entry.js';

type Cc = typeof Entry;

let dir: string;
let server: Server;
let world: World;
let code: string;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'light-e2e-'));
  world = buildWorld(SMALL_WORLD);
  [server, code] = await Promise.all([
    startServer(
      dir,
      SMALL_WORLD,
      ['honest', 'alter-blob', 'forge-header', 'withhold-index', 'rewrite-hospital', 'stale'],
      { LIGHT_WEBRTC: '1' }
    ),
    bundleForBrowser('tests/e2e/light-client.entry.ts')
  ]);
});

test.afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function input(nodes: string[], transports: Entry.RunInput['transports'], dbName: string): Entry.RunInput {
  return {
    nodes,
    pinned: world.genesisHash,
    transports,
    dbName,
    tag: toHex(world.records[0]!.tag),
    capability: toHex(searchCapability(world.patient.keys.indexKey, CATEGORY)),
    recordSecret: toHex(recordSecret(world.patient.seed, CATEGORY, 0)),
    signingSeed: toHex(world.patient.keys.signingSeed),
    signingPublic: toHex(world.patient.keys.signingPublic),
    read: true
  };
}

for (const transport of ['ws', 'webrtc-direct'] as const) {
  test(`Chromium over ${transport}: cold sync, liars named, every record verified and decrypted`, async ({
    page
  }) => {
    const honest = server.host('honest');
    await page.goto(`${honest.httpUrl}/`);
    await page.addScriptTag({ content: code });
    const liars = ['withhold-index', 'forge-header', 'rewrite-hospital', 'alter-blob', 'stale'] as const;
    const nodes = [...liars.map((m) => server.host(m).httpUrl), honest.httpUrl];
    const out = await page.evaluate(
      (i) => (globalThis as never as { cc: Cc }).cc.run(i),
      input(nodes, [transport], `light-${transport}`)
    );
    expect(out.error).toBeUndefined();
    expect(out.height).toBe(world.consortium.head.header.height);
    expect(out.records).toEqual(world.records.map((r) => toHex(r.entry.mhrHash)));
    expect(out.fhir.every((t) => t === 'Bundle')).toBe(true);
    expect(Object.fromEntries(out.dropped)).toEqual({
      [server.host('forge-header').peerId]: 'light/header-unsigned',
      [server.host('withhold-index').peerId]: 'light/withheld',
      [server.host('rewrite-hospital').peerId]: 'light/index-mismatch',
      [server.host('alter-blob').peerId]: 'light/record-altered'
    });
    expect(out.stale).toContain(server.host('stale').peerId);

    // The verified head is in IndexedDB: a reload resumes from it.
    await page.reload();
    await page.addScriptTag({ content: code });
    const saved = await page.evaluate(
      (db) => (globalThis as never as { cc: Cc }).cc.savedHeight(db),
      `light-${transport}`
    );
    expect(saved).toBe(world.consortium.head.header.height);

    // The first, online run was answered by nodes, not by the cache.
    expect(out.cachedAsOf).toEqual(world.records.map(() => null));
    // WebRTC-Direct to a closed UDP port waits out ICE rather than failing: the refusal is shown over ws.
    if (transport !== 'ws') return;
    // Every node down: the records verified before come back from IndexedDB, verified again and
    // marked cached as of the consortium height their index was proven at.
    const off = await page.evaluate((i) => (globalThis as never as { cc: Cc }).cc.run(i), {
      ...input([honest.httpUrl], [transport], `light-${transport}`),
      offline: true
    });
    expect(off.error).toBeUndefined();
    expect(off.records).toEqual(world.records.map((r) => toHex(r.entry.mhrHash)));
    expect(off.fhir.every((t) => t === 'Bundle')).toBe(true);
    expect(off.cachedAsOf).toEqual(world.records.map(() => world.consortium.head.header.height));
    expect(off.unreachable).toContain(honest.peerId);
  });
}

test('Chromium refuses a genesis that is not the pinned one', async ({ page }) => {
  const honest = server.host('honest');
  await page.goto(`${honest.httpUrl}/`);
  await page.addScriptTag({ content: code });
  const wrong = { ...input([honest.httpUrl], ['ws'], 'light-wrong'), pinned: '00'.repeat(32) };
  const err = await page.evaluate(
    (i) =>
      (globalThis as never as { cc: Cc }).cc.run(i).then(
        () => 'accepted',
        (e: Error) => e.message
      ),
    wrong
  );
  expect(err).toMatch(/light\/proof-invalid.*genesis: hash is not the pinned one/);
});
