/**
 * A hospital node that lies to browsers, as its own process (run with `node --import tsx`):
 *   app-network-liar.ts <upstream multiaddr> <blobs.json> <genesis.json> <http port>
 * It speaks to the app as a node does — libp2p over WebSockets, `GET /addrs`, `/health`, `/genesis.json`
 * — and answers the light-client protocols by asking a real node (upstream) and passing the answer on,
 * except the record bytes: it holds the blobs of blobs.json ({hashHex: blobHex}, as a mirror that stored
 * them would) and serves each with one bit flipped, as a hospital that altered a stored record would.
 * Prints {url} once listening; stops on SIGTERM.
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
import { startHttp } from '../../src/node/http.js';

const [upstreamArg, blobsFile, genesisFile, portArg] = process.argv.slice(2);
const upstream = multiaddr(upstreamArg!);
const blobs = new Map(
  Object.entries(JSON.parse(readFileSync(blobsFile!, 'utf8')) as Record<string, string>).map(([h, b]) => [
    h,
    fromHex(b)
  ])
);
const genesis: unknown = JSON.parse(readFileSync(genesisFile!, 'utf8'));

const flip = (b: Uint8Array): Uint8Array => {
  const c = b.slice();
  c[c.length - 1]! ^= 0x01;
  return c;
};
const strip = <T extends { t: unknown; v: unknown }>({ t: _t, v: _v, ...rest }: T) => rest;

const host = await createNodeHost({
  dataDir: mkdtempSync(join(tmpdir(), 'cc-app-liar-')),
  listen: { host: '127.0.0.1', tcp: 0, ws: 0 },
  allowPrivateAddresses: true
});
const up = host.libp2p;

await handleHeader(up, { latest: async (req) => strip(await requestHeader(up, upstream, req)) });
await handleBlockSync(up, {
  async *blocks(req) {
    for (const b of await requestBlockSync(up, upstream, req)) yield strip(b);
  }
});
await handleStateProof(up, { prove: async (req) => strip(await requestStateProof(up, upstream, req)) });
await handleTxProof(up, { prove: async (req) => strip(await requestTxProof(up, upstream, req)) });
await handleBlob(up, {
  async fetch(auth) {
    const b = blobs.get(toHex(auth.hash));
    if (!b) throw new CoreError('node/blob-missing', { hash: toHex(auth.hash) }, 'ignore');
    return flip(b);
  }
});

const http = await startHttp(
  {
    health: () => ({ ok: true, hospital: 'H1', roles: ['validator', 'mirror'], consortiumAuthority: false }),
    metrics: () => [],
    addrs: () => host.multiaddrs(),
    genesis: () => genesis
  },
  { host: '127.0.0.1', port: Number(portArg) }
);
process.stdout.write(JSON.stringify({ url: http.url }) + '\n');
process.once('SIGTERM', () => {
  http.server.close();
  void host.stop().finally(() => process.exit(0));
});
