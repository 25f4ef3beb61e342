import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ATTEST_BATCH_MAX,
  attestationSignatureValid,
  type BatchAttestation
} from '../../lib/core/chain/tx/attestation.js';
import { seededRng, sha256 } from '../../lib/core/crypto/index.js';
import { nodeKeyFromSeed } from '../keys.js';
import { NodeStorage } from '../storage/index.js';
import { isCoreError } from '../../lib/core/errors.js';
import { Mirror, readAny, replicate, type MirrorClient, type MirrorDisk } from './mirror.js';

const rng = seededRng(3);
const stores: NodeStorage[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

async function mirror(name: string, disk?: MirrorDisk) {
  const s = await NodeStorage.open(mkdtempSync(join(tmpdir(), `cc-mirror-${name}-`)), sha256);
  stores.push(s);
  return new Mirror('H1', nodeKeyFromSeed(rng(32)), s.blobs, { now: () => 1000, ...(disk ? { disk } : {}) });
}

/** A mirror that is down: every call fails, as a refused connection would. */
const down = (id: string): MirrorClient => ({
  id,
  store: () => Promise.reject(new Error('connection refused')),
  fetch: () => Promise.reject(new Error('connection refused'))
});

describe('mirror store', () => {
  it('replicates to ≥ 2 mirrors with valid distinct attestations, tolerating one down', async () => {
    const [a, b] = [await mirror('a'), await mirror('b')];
    const blob = rng(5000);
    const atts = await replicate(blob, [a.asClient(), down('c'), b.asClient()]);
    expect(atts).toHaveLength(2);
    expect(atts.every(attestationSignatureValid)).toBe(true);
    expect(atts.every((x) => x.size === 5000 && x.hospital === 'H1')).toBe(true);
    expect(atts[0]!.mirror).not.toEqual(atts[1]!.mirror);
    expect(await readAny(sha256(blob), [down('c'), b.asClient()])).toEqual(blob);
  });

  it('group-commits concurrent stores: one signed root per batch, each blob with its own valid path', async () => {
    const m = await mirror('batch');
    const blobs = Array.from({ length: ATTEST_BATCH_MAX + 6 }, (_, i) => rng(50 + i));
    const atts = (await Promise.all(blobs.map((b) => m.store(b)))) as BatchAttestation[];
    expect(atts.every(attestationSignatureValid)).toBe(true);
    atts.forEach((a, i) => {
      expect(a.mhrHash).toEqual(sha256(blobs[i]!));
      expect(a.size).toBe(blobs[i]!.length);
    });
    const roots = new Set(atts.map((a) => Buffer.from(a.root).toString('hex')));
    // every blob was on disk before its batch was signed, and no batch is larger than the bound
    expect(roots.size).toBeGreaterThanOrEqual(2);
    expect(roots.size).toBeLessThan(blobs.length / 4);
    expect(Math.max(...atts.map((a) => a.count))).toBeLessThanOrEqual(ATTEST_BATCH_MAX);
    for (const b of blobs) expect(await m.fetch(sha256(b))).toEqual(b);
    // a store on its own is a batch of one
    const lone = (await m.store(rng(9))) as BatchAttestation;
    expect(lone.count).toBe(1);
    expect(attestationSignatureValid(lone)).toBe(true);
  });

  it('re-attests a blob it holds in the batched form, and nothing it does not hold', async () => {
    const m = await mirror('again');
    const blobs = [rng(70), rng(80)];
    await Promise.all(blobs.map((b) => m.store(b)));
    const again = (await Promise.all(blobs.map((b) => m.attest(sha256(b))))) as BatchAttestation[];
    expect(again.every(attestationSignatureValid)).toBe(true);
    expect(again.map((a) => a.count)).toEqual([2, 2]);
    expect(again.map((a) => a.size)).toEqual([70, 80]);
    expect(await m.attest(sha256(rng(10)))).toBeUndefined();
  });

  it('refuses with node/few-mirrors when fewer than 2 can store', async () => {
    const a = await mirror('solo');
    await expect(replicate(rng(10), [a.asClient(), down('x')])).rejects.toThrow(/node\/few-mirrors/);
    await expect(readAny(sha256(new Uint8Array([1])), [a.asClient()])).rejects.toThrow(/blob-missing/);
  });

  it('a mirror that missed blobs repairs from the others, ignoring a peer serving wrong bytes', async () => {
    const [a, b, c] = [await mirror('ra'), await mirror('rb'), await mirror('rc')];
    const blobs = [rng(100), rng(200), rng(300)];
    for (const x of blobs) await replicate(x, [a.asClient(), b.asClient()]);
    const liar: MirrorClient = {
      id: 'liar',
      store: () => Promise.reject(new Error()),
      fetch: async () => rng(100)
    };
    const committed = [...blobs.map((x) => sha256(x)), sha256(new Uint8Array([9]))];
    const r = await c.repair(committed, [liar, down('d'), a.asClient(), b.asClient()]);
    expect(r.repaired).toBe(3);
    expect(r.missing).toEqual([sha256(new Uint8Array([9]))]);
    for (const x of blobs) expect(await c.fetch(sha256(x))).toEqual(x);
    expect((await c.repair(committed.slice(0, 3), [])).repaired).toBe(0);
  });

  it('below its disk reserve takes no new blob (node/disk-full) and pauses repair, but attests what it holds', async () => {
    let free = 10_000;
    const m = await mirror('reserve', { freeBytes: () => free, reserveBytes: 4_000 });
    const held = rng(5_000);
    await m.store(held); // 10,000 - 5,000 ≥ 4,000
    free = 5_000;
    const fresh = rng(2_000);
    const refused = await m.store(fresh).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(isCoreError(refused, 'node/disk-full'), String(refused)).toBe(true);
    expect(await m.fetch(sha256(fresh))).toBeUndefined();
    // A blob already on disk costs nothing more: storing it again is attested as before.
    expect(attestationSignatureValid(await m.store(held))).toBe(true);
    expect(m.overReserve(0)).toBeUndefined(); // 5,000 free: room left, but not for 2,000 more

    const peer = await mirror('reserve-peer');
    const small = rng(500);
    const big = rng(1_500);
    await peer.store(small);
    await peer.store(big);
    // 1,500 would cross the reserve, 500 would not: repair takes what fits, keeps the rest for later.
    let r = await m.repair([sha256(small), sha256(big)], [peer.asClient()]);
    expect(r.repaired).toBe(1);
    expect(r.missing).toEqual([sha256(big)]);
    free = 3_000; // below the reserve: nothing is even fetched
    let fetched = 0;
    const counting: MirrorClient = { ...peer.asClient(), fetch: (h) => (fetched++, peer.fetch(h)) };
    r = await m.repair([sha256(big)], [counting]);
    expect([r.repaired, r.missing.length, fetched]).toEqual([0, 1, 0]);
    free = 100_000; // space freed: the next pass completes
    r = await m.repair(r.missing, [counting]);
    expect([r.repaired, r.missing.length]).toEqual([1, 0]);
    expect(await m.fetch(sha256(big))).toEqual(big);
  });
});
