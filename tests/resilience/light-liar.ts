/**
 * A node that lies to light clients, as its own process (run with `node --import tsx`):
 *   light-liar.ts <blob|proof> <upstream multiaddr> <blobs.json> <durationMs>
 * It answers the light-client protocols by asking a real node (upstream) and passing the answer on —
 * altered in one way: 'blob' serves the record bytes with one bit flipped (it holds the blobs from
 * blobs.json, {hashHex: blobHex}, as a mirror that stored them would); 'proof' flips a bit in every
 * state-proof value and tx-proof transaction. Headers and block-sync pass through untouched, so only
 * the lie can get it caught. Prints {peerId, addrs} once listening; stops itself after durationMs.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { fromHex, toHex } from '../../src/lib/core/crypto/index.js';
import { CoreError } from '../../src/lib/core/errors.js';
import { handleBlob } from '../../src/lib/net/blob.js';
import { handleBlockSync, requestBlockSync } from '../../src/lib/net/block-sync.js';
import { handleHeader, requestHeader } from '../../src/lib/net/header.js';
import { handleStateProof, requestStateProof } from '../../src/lib/net/state-proof.js';
import { handleTxProof, requestTxProof } from '../../src/lib/net/tx-proof.js';
import { createNodeHost } from '../../src/node/p2p/host.js';

const [mode, upstreamArg, blobsFile, durationArg] = process.argv.slice(2);
if (mode !== 'blob' && mode !== 'proof') throw new Error(`unknown mode ${mode}`);
const upstream = multiaddr(upstreamArg!);
const blobs = new Map(
  Object.entries(JSON.parse(readFileSync(blobsFile!, 'utf8')) as Record<string, string>).map(([h, b]) => [
    h,
    fromHex(b)
  ])
);

const flip = (b: Uint8Array): Uint8Array => {
  const c = b.slice();
  c[c.length - 1]! ^= 0x01;
  return c;
};
const strip = <T extends { t: unknown; v: unknown }>({ t: _t, v: _v, ...rest }: T) => rest;

const host = await createNodeHost({
  dataDir: mkdtempSync(join(tmpdir(), 'cc-liar-')),
  listen: { host: '127.0.0.1', tcp: 0 },
  allowPrivateAddresses: true
});
const up = host.libp2p;

await handleHeader(up, { latest: async (req) => strip(await requestHeader(up, upstream, req)) });
await handleBlockSync(up, {
  async *blocks(req) {
    for (const b of await requestBlockSync(up, upstream, req)) yield strip(b);
  }
});
await handleStateProof(up, {
  async prove(req) {
    const r = strip(await requestStateProof(up, upstream, req));
    if (mode !== 'proof') return r;
    return { ...r, value: (r.value ? flip(r.value) : Uint8Array.of(1)) as never };
  }
});
await handleTxProof(up, {
  async prove(req) {
    const r = strip(await requestTxProof(up, upstream, req));
    return mode === 'proof' ? { ...r, tx: flip(r.tx) as never } : r;
  }
});
await handleBlob(up, {
  async fetch(auth) {
    const b = blobs.get(toHex(auth.hash));
    if (!b) throw new CoreError('node/blob-missing', { hash: toHex(auth.hash) }, 'ignore');
    return mode === 'blob' ? flip(b) : b;
  }
});

process.stdout.write(JSON.stringify({ peerId: host.peerId.toString(), addrs: host.multiaddrs() }) + '\n');
const stop = async () => {
  await host.stop().catch(() => {});
  process.exit(0);
};
setTimeout(() => void stop(), Number(durationArg));
process.once('SIGTERM', () => void stop());
