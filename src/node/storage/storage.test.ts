import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes, sha256, toHex } from '../../lib/core/crypto/index.js';
import { bytesEqual } from '../../lib/core/encoding/cbor.js';
import { fail, OK, type Verdict } from '../../lib/core/errors.js';
import { NodeStorage, type StoredBlock } from './index.js';
import { SNAPSHOT_PAGE_ENTRIES } from './state-snapshot.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'cc-store-'));
const open: NodeStorage[] = [];
async function openStore(dir: string) {
  const s = await NodeStorage.open(dir, sha256, 0);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
});

// A toy chain: block = prevHash(32) || payload, hash = sha256(block), cert = sha256("cert" || hash).
function mkBlock(height: number, prev: Uint8Array, payload = `p${height}`): StoredBlock {
  const block = concatBytes(prev, new TextEncoder().encode(payload));
  const hash = sha256(block);
  return { height, hash, block, cert: sha256(concatBytes(new TextEncoder().encode('cert'), hash)) };
}
const check = (e: StoredBlock, prev: StoredBlock | undefined): Verdict => {
  if (!bytesEqual(sha256(e.block), e.hash)) return fail('chain/wrong-tx-root', { detail: 'hash' });
  if (!bytesEqual(e.cert, sha256(concatBytes(new TextEncoder().encode('cert'), e.hash))))
    return fail('chain/bad-commit');
  const parent = prev ? prev.hash : new Uint8Array(32);
  if (!bytesEqual(e.block.subarray(0, 32), parent)) return fail('chain/wrong-parent');
  return OK;
};

describe('block store', () => {
  it('appends in order, reads by height and hash, survives reopen', async () => {
    const dir = fresh();
    let s = await openStore(dir);
    const bs = s.chains.hospital.blocks;
    let prev: Uint8Array = new Uint8Array(32);
    const hashes: Uint8Array[] = [];
    for (let h = 0; h < 5; h++) {
      const b = mkBlock(h, prev);
      await bs.append(b);
      hashes.push(b.hash);
      prev = b.hash;
    }
    await expect(bs.append(mkBlock(7, prev))).rejects.toThrow(/wrong-height/);
    expect(bs.height()).toBe(4);
    expect(await bs.heightOf(hashes[2]!)).toBe(2);
    await s.close();
    s = await openStore(dir);
    expect(s.chains.hospital.blocks.height()).toBe(4);
    expect(s.chains.consortium.blocks.height()).toBe(-1);
    const all = [];
    for await (const e of s.chains.hospital.blocks.iterate()) all.push(toHex(e.hash));
    expect(all).toEqual(hashes.map(toHex));
    expect((await s.chains.hospital.blocks.recover(check)).truncated).toEqual([]);
  });

  it('recover truncates a tail that fails verification, with the reason', async () => {
    const s = await openStore(fresh());
    const bs = s.chains.consortium.blocks;
    const b0 = mkBlock(0, new Uint8Array(32));
    const b1 = mkBlock(1, b0.hash);
    await bs.append(b0);
    await bs.append(b1);
    await bs.append({ ...mkBlock(2, b1.hash), cert: new Uint8Array(64) }); // bad certificate
    await bs.append(mkBlock(3, new Uint8Array(32).fill(9))); // wrong parent
    const why: string[] = [];
    const r = await bs.recover(check, 2, (h, w) => why.push(`${h}:${w}`));
    expect(r.truncated).toEqual([3, 2]);
    expect(why[0]).toMatch(/^3:.*wrong-parent/);
    expect(why[1]).toMatch(/^2:.*bad-commit/);
    expect(r.head?.height).toBe(1);
    expect(await bs.get(2)).toBeUndefined();
    await bs.append(mkBlock(2, b1.hash)); // the chain continues from the truncation point
    expect(bs.height()).toBe(2);
    await bs.truncateFrom(1);
    expect(bs.head()).toEqual({ height: 0, hash: b0.hash });
    expect(await bs.heightOf(b1.hash)).toBeUndefined();
  });
});

describe('consensus WAL', () => {
  it('keeps entries per height in order across reopen; truncation drops committed heights', async () => {
    const dir = fresh();
    let s = await openStore(dir);
    await s.chains.hospital.wal.append(5, new Uint8Array([1]));
    await s.chains.hospital.wal.appendMany(5, [new Uint8Array([2]), new Uint8Array([3])]);
    await s.chains.hospital.wal.append(6, new Uint8Array([9]));
    await s.close();
    s = await openStore(dir);
    const wal = s.chains.hospital.wal;
    await wal.append(5, new Uint8Array([4]));
    expect((await wal.read(5)).map((e) => e[0])).toEqual([1, 2, 3, 4]);
    await s.db.write(await wal.truncateOps(5));
    expect(await wal.read(5)).toEqual([]);
    expect((await wal.read(6)).map((e) => e[0])).toEqual([9]);
    expect(await s.chains.consortium.wal.read(5)).toEqual([]);
    await wal.saveSnapshot(new Uint8Array([7]));
    await wal.saveSnapshot(new Uint8Array([8]));
    await s.db.write(await wal.truncateOps(100));
    expect(await wal.loadSnapshot()).toEqual(new Uint8Array([8]));
  });
});

describe('state snapshots', () => {
  const entry = (i: number): [Uint8Array, Uint8Array] => [
    sha256(new Uint8Array([i & 255, i >> 8])),
    new TextEncoder().encode(`v${i}`)
  ];
  const read = async (s: NodeStorage) => {
    const snaps = s.chains.hospital.snapshots;
    const p = await snaps.latest();
    const out: [Uint8Array, Uint8Array][] = [];
    if (p) for await (const e of snaps.entries(p)) out.push(e);
    return { p, out };
  };

  it('round-trips across pages and reopen; a newer snapshot replaces the older one', async () => {
    const dir = fresh();
    const s = await openStore(dir);
    expect(await s.chains.hospital.snapshots.latest()).toBeUndefined();
    const many = Array.from({ length: SNAPSHOT_PAGE_ENTRIES + 10 }, (_, i) => entry(i));
    expect(await s.chains.hospital.snapshots.save(7, many)).toEqual({
      height: 7,
      pages: 2,
      count: many.length
    });
    await s.chains.hospital.snapshots.save(9, many.slice(0, 3));
    await s.close();
    const r = await read(await openStore(dir));
    expect(r.p).toEqual({ height: 9, pages: 1, count: 3 });
    expect(r.out.map(([k, v]) => toHex(k) + toHex(v))).toEqual(
      many.slice(0, 3).map(([k, v]) => toHex(k) + toHex(v))
    );
    // The older snapshot's pages are gone; the other chain's snapshots are separate.
    const keys = [];
    for await (const k of open.at(-1)!.db.keys('ss/')) keys.push(k);
    expect(
      keys.filter((k) => !k.endsWith('latest')).every((k) => k.startsWith('hospital/0000000000000009/'))
    ).toBe(true);
    expect(await open.at(-1)!.chains.consortium.snapshots.latest()).toBeUndefined();
  });

  it('a damaged page is a named error, not wrong entries', async () => {
    const s = await openStore(fresh());
    await s.chains.hospital.snapshots.save(3, [entry(1), entry(2)]);
    const [k] = await (async () => {
      const ks = [];
      for await (const k of s.db.keys('ss/hospital/0')) ks.push(k);
      return ks;
    })();
    await s.db.write([{ type: 'put', key: `ss/hospital/0${k}`, value: new Uint8Array([0x82, 0x01]) }]);
    await expect(read(s)).rejects.toThrow(/node\/storage-corrupt/);
  });
});

describe('validator-set changes', () => {
  it('are stored with their block and dropped with it when the tail is truncated', async () => {
    const s = await openStore(fresh());
    const blocks = s.chains.hospital.blocks;
    let prev: Uint8Array = new Uint8Array(32);
    for (let h = 0; h < 4; h++) {
      const b = mkBlock(h, prev);
      await blocks.append(b, h % 2 ? blocks.validatorSetOps(h, new Uint8Array([h])) : []);
      prev = b.hash;
    }
    expect(await blocks.validatorChanges()).toEqual([
      { height: 1, set: new Uint8Array([1]) },
      { height: 3, set: new Uint8Array([3]) }
    ]);
    await blocks.truncateFrom(3);
    expect((await blocks.validatorChanges()).map((c) => c.height)).toEqual([1]);
    expect(await blocks.changesScanned()).toBe(false);
    await blocks.recordScannedChanges([0, 1], new Uint8Array([9]));
    expect(await blocks.changesScanned()).toBe(true);
    expect(await blocks.validatorChanges()).toEqual([
      { height: 0, set: undefined },
      { height: 1, set: new Uint8Array([9]) }
    ]);
  });
});

describe('damaged database', () => {
  it('LevelDB corruption at open is node/storage-corrupt with a one-line reason and what to do', async () => {
    const dir = fresh();
    const s = await NodeStorage.open(dir, sha256, 0);
    await s.db.write([{ type: 'put', key: 'a', value: new Uint8Array(5000).fill(7) }]);
    await s.close();
    const manifest = readdirSync(dir).find((f) => f.startsWith('MANIFEST'))!;
    writeFileSync(join(dir, manifest), new Uint8Array(200).fill(0xab));
    const err = await NodeStorage.open(dir, sha256, 0).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string }
    );
    expect(err?.code).toBe('node/storage-corrupt');
    expect(err?.message).toMatch(/Corruption.*move it away to resync from peers/);
    expect(err?.message).not.toContain('\n');
  });

  it('a data directory another process holds is node/storage-failed, saying so', async () => {
    const dir = fresh();
    await openStore(dir);
    const err = await NodeStorage.open(dir, sha256, 0).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string }
    );
    expect(err?.code).toBe('node/storage-failed');
    expect(err?.message).toMatch(/in use by another process/);
  });

  it('a write that fails is node/storage-failed: what was being written must not be acknowledged', async () => {
    const s = await openStore(fresh());
    await s.close();
    const err = await s.db.write([{ type: 'put', key: 'a', value: new Uint8Array(1) }]).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string }
    );
    expect(err?.code).toBe('node/storage-failed');
  });
});

describe('blob store', () => {
  it('stores only bytes matching their hash and lists them', async () => {
    const s = await openStore(fresh());
    const blob = new TextEncoder().encode('ciphertext');
    await expect(s.blobs.put(sha256(new Uint8Array([1])), blob)).rejects.toThrow(/hash-mismatch/);
    expect(s.blobs.count).toBe(0);
    await s.blobs.put(sha256(blob), blob);
    await s.blobs.put(sha256(blob), blob);
    expect(s.blobs.count).toBe(1);
    expect(await s.blobs.get(sha256(blob))).toEqual(blob);
    expect(await s.blobs.get(sha256(new Uint8Array([2])))).toBeUndefined();
    const listed = [];
    for await (const h of s.blobs.list()) listed.push(toHex(h));
    expect(listed).toEqual([toHex(sha256(blob))]);
    expect(s.diskBytes()).toBeGreaterThan(0);
  });
});

describe('kill -9 while writing', () => {
  it('every acknowledged block survives and the chain on disk verifies', async () => {
    const dir = fresh();
    const storeUrl = new URL('./index.ts', import.meta.url).href;
    const cryptoUrl = new URL('../../lib/core/crypto/index.ts', import.meta.url).href;
    // The child appends blocks as fast as it can and prints each height once `append` resolved.
    const script = `
      const { NodeStorage } = await import(${JSON.stringify(storeUrl)});
      const { sha256, concatBytes } = await import(${JSON.stringify(cryptoUrl)});
      const s = await NodeStorage.open(${JSON.stringify(dir)}, sha256, 0);
      const bs = s.chains.hospital.blocks;
      let prev = new Uint8Array(32);
      for (let h = 0; ; h++) {
        const block = concatBytes(prev, new TextEncoder().encode('p' + h));
        const hash = sha256(block);
        const cert = sha256(concatBytes(new TextEncoder().encode('cert'), hash));
        await bs.append({ height: h, hash, block, cert });
        process.stdout.write('ack ' + h + '\\n');
        prev = hash;
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit']
    });
    let acked = -1;
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('child wrote too slowly')), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) if (l.startsWith('ack ')) acked = Number(l.slice(4));
        if (acked >= 150) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.once('exit', r).once('close', r));
    const s = await openStore(dir);
    const r = await s.chains.hospital.blocks.recover(check, 10);
    expect(r.head!.height).toBeGreaterThanOrEqual(acked);
    let prev: StoredBlock | undefined;
    for await (const e of s.chains.hospital.blocks.iterate()) {
      expect(check(e, prev).ok).toBe(true);
      prev = e;
    }
    expect(prev!.height).toBe(r.head!.height);
  });
});
