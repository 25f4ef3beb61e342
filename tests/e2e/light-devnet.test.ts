/**
 * The light client inside Chromium against REAL hospital node processes (tests/integration/light-devnet.ts:
 * 2 hospitals × 4 nodes, real LevelDB, real libp2p), as the app runs it: genesis from a node's
 * `GET /genesis.json` checked against the pinned hash, node addresses from `GET /addrs`, the browser
 * libp2p node dialing over WebSockets and over WebRTC-Direct, the consortium synced, the patient's
 * records from both hospitals verified against both chains and decrypted, the head kept in IndexedDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { bundleForBrowser } from './bundle.js';
import { CATEGORY, startLightDevnet, type LightDevnet } from '../integration/light-devnet.js';
import { recordSecret, toHex } from '../../src/lib/core/crypto/index.js';
import { searchCapability } from '../../src/lib/core/records/index-tag.js';
import type * as Entry from './light-client.entry.js';

type Cc = typeof Entry;

let dir: string;
let net: LightDevnet;
let code: string;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  dir = mkdtempSync(join(tmpdir(), 'light-devnet-e2e-'));
  [net, code] = await Promise.all([
    startLightDevnet(dir, 'light-devnet-e2e'),
    bundleForBrowser('tests/e2e/light-client.entry.ts')
  ]);
});

test.afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const transport of ['ws', 'webrtc-direct'] as const) {
  test(`Chromium over ${transport} against real nodes: synced, every record verified and decrypted`, async ({
    page
  }) => {
    const [h1, h2] = [net.H1, net.H2];
    // The page's origin is a node's HTTP endpoint, as when the node serves the app.
    await page.goto(`${h2[3]!.httpUrl}/health`);
    await page.addScriptTag({ content: code });
    const p = net.patient;
    const out = await page.evaluate((i) => (globalThis as never as { cc: Cc }).cc.run(i), {
      nodes: [h1[0]!.httpUrl, h2[0]!.httpUrl, h1[1]!.httpUrl, h2[1]!.httpUrl],
      pinned: net.layout.consortiumHash,
      transports: [transport],
      dbName: `devnet-${transport}`,
      tag: toHex(net.tag),
      capability: toHex(searchCapability(p.keys.indexKey, CATEGORY)),
      recordSecret: toHex(recordSecret(p.seed, CATEGORY, 0)),
      signingSeed: toHex(p.keys.signingSeed),
      signingPublic: toHex(p.keys.signingPublic),
      read: true
    } satisfies Entry.RunInput);
    expect(out.error).toBeUndefined();
    expect(out.height).toBeGreaterThan(0);
    expect(out.records).toEqual(net.written.map((w) => w.mhrHash));
    expect(out.fhir).toEqual(['Bundle', 'Bundle', 'Bundle']);
    expect(out.dropped).toEqual([]);
    const saved = await page.evaluate(
      (db) => (globalThis as never as { cc: Cc }).cc.savedHeight(db),
      `devnet-${transport}`
    );
    expect(saved).toBe(out.height);
  });
}
