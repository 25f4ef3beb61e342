/**
 * Scenario 3 — partitions, by per-peer blocking: every node-to-node link runs through a relay the test
 * controls (link-proxy.ts; no network namespaces needed, no root). 1|3: the three keep committing, the
 * one commits nothing, and after healing all four agree on one head within 10 s. 2|2: neither half
 * has more than 2/3 of the weight, so nobody commits; after healing commits resume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordTx, storeOnMirrors, submit } from '../../src/node/devnet/actors.js';
import type { DevnetNode } from '../../src/node/devnet/layout.js';
import {
  compareChains,
  hospitalChainId,
  Net,
  setupActors,
  sleep,
  waitFor,
  writeRecord,
  type Actors
} from './harness.js';
import { LinkProxies } from './link-proxy.js';
import { report } from './results.js';

/** The bound for convergence after a partition heals. */
const CONVERGE_BOUND_MS = 10_000;

let net: Net;
let a: Actors;
const proxies = new LinkProxies();
const figures: Record<string, number | null> = { forks: null };
const H1 = hospitalChainId('H1');

beforeAll(async () => {
  net = await Net.start({ name: 'partitions', prepare: (layout) => proxies.install(layout) });
  a = await setupActors(net);
}, 240_000);

afterAll(async () => {
  report('partitions', figures);
  await net?.close();
  await proxies.close();
}, 60_000);

const height = async (n: DevnetNode) => (await net.heads(n))?.hospital.height ?? -1;

/** A record submitted straight to `via` (blob stored on the mirrors the client can reach). */
async function tryRecord(via: DevnetNode) {
  const blob = net.rng(500);
  const atts = await storeOnMirrors(
    net.client,
    net.h1.filter((n) => n.roles.includes('mirror')).map((n) => n.addr),
    blob
  );
  const r = recordTx(a.writer, a.patient, 'H1', a.category, a.grant, blob, atts);
  return submit(net.client, via.addr, H1, r.tx).catch((e: Error) => ({ accepted: false, code: e.message }));
}

/** All nodes on one head; returns ms from `t0`. */
async function converge(t0: number, ms = 30_000): Promise<number> {
  await waitFor(
    'all nodes on one head',
    async () => {
      const hs = await Promise.all(net.h1.map((n) => net.heads(n)));
      return new Set(hs.map((h) => `${h?.hospital.height}:${h?.hospital.hash}`)).size === 1;
    },
    ms
  );
  return Date.now() - t0;
}

describe('partitions', () => {
  it('1|3: the majority keeps committing, the minority commits nothing, all converge within 10 s of healing', async () => {
    const [n1, n2, n3, n4] = net.h1 as [DevnetNode, DevnetNode, DevnetNode, DevnetNode];
    await converge(Date.now());
    proxies.partition([[n1, n2, n3], [n4]]);
    await sleep(1000);
    const minority0 = await height(n4);
    const majority0 = await height(n1);
    const lat: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await writeRecord(net, a, [n1, n2, n3][i % 3]!);
      expect(r.acked, r.error).toBe(true);
      lat.push(r.latencyMs);
    }
    const lonely = await tryRecord(n4);
    expect(lonely.accepted, 'the minority must not acknowledge a commit').toBe(false);
    expect(await height(n4)).toBe(minority0);
    expect(await height(n1)).toBeGreaterThan(majority0);
    figures.majority_commits_during_1_3 = (await height(n1)) - majority0;
    figures.majority_p50_ms_during_1_3 = lat.sort((x, y) => x - y)[4]!;
    figures.minority_commits_during_1_3 = (await height(n4)) - minority0;

    proxies.heal();
    const healed = Date.now();
    const ms = await converge(healed);
    figures.converge_after_1_3_s = ms / 1000;
    expect(ms).toBeLessThanOrEqual(CONVERGE_BOUND_MS);
  });

  it('2|2: nobody commits; commits resume after healing', async () => {
    const [n1, n2, n3, n4] = net.h1 as [DevnetNode, DevnetNode, DevnetNode, DevnetNode];
    await converge(Date.now());
    proxies.partition([
      [n1, n2],
      [n3, n4]
    ]);
    await sleep(1000);
    const before = await Promise.all(net.h1.map(height));
    const [left, right] = await Promise.all([tryRecord(n1), tryRecord(n3)]);
    expect(left.accepted, 'half the weight must not commit').toBe(false);
    expect(right.accepted, 'half the weight must not commit').toBe(false);
    const during = await Promise.all(net.h1.map(height));
    figures.commits_during_2_2 = during.reduce((s, h, i) => s + (h - before[i]!), 0);
    expect(during).toEqual(before);

    proxies.heal();
    const healed = Date.now();
    const r = await writeRecord(net, a, n2);
    expect(r.acked, r.error).toBe(true);
    figures.first_commit_after_2_2_heal_s = (Date.now() - healed) / 1000;
    const ms = await converge(healed);
    figures.converge_after_2_2_s = ms / 1000;
    expect(Math.min(...(await Promise.all(net.h1.map(height))))).toBeGreaterThan(Math.max(...before));
    expect(ms).toBeLessThanOrEqual(CONVERGE_BOUND_MS);
  });

  it('no forks: every node has the same block at every height', async () => {
    const c = await compareChains(net, net.h1, H1);
    figures.forks = c.forks.length;
    expect(c.forks).toEqual([]);
    expect(net.crashes).toEqual([]);
  });
});
