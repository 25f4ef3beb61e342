/**
 * A separate process serving a light-client world (light-world.ts) over real libp2p — the node's own
 * host (TCP, WebSockets, optionally WebRTC-Direct) and the real protocol handlers from src/lib/net —
 * from one host per behaviour: honest, or lying in one named way. The lies are those a hospital node
 * could tell: an altered blob, an altered index page, a forged head, a withheld index entry, a hidden
 * revocation, a stale head, a rewritten hospital block; 'slow' answers records late so a test can kill
 * the process mid-query.
 *
 *   node --import tsx tests/integration/light-server.node.ts <dataDir> '<world options JSON>' mode,mode…
 *
 * Each host also answers HTTP as a node does (`GET /addrs`, `GET /genesis.json`, and `/` as a blank
 * page, so a browser test has a real origin with IndexedDB).
 * Prints one JSON line {hosts: [{mode, peerId, addrs, httpUrl}]} when listening; SIGTERM stops it.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { genesisFileOf } from '../../src/node/genesis-file.js';
import { createNodeHost, type NodeHost } from '../../src/node/p2p/host.js';
import { CoreError } from '../../src/lib/core/errors.js';
import { headerCodec, CONSORTIUM_CHAIN_ID, type Header } from '../../src/lib/core/chain/header.js';
import { changeProofCodec } from '../../src/lib/core/chain/change-proof.js';
import { NS, pageId } from '../../src/lib/core/chain/store.js';
import { pageCodec } from '../../src/lib/core/chain/entries.js';
import { grantRevocationKey } from '../../src/lib/core/chain/rules/lookup.js';
import { appendRecordCodec } from '../../src/lib/core/chain/tx/append-record.js';
import { txHash } from '../../src/lib/core/chain/rules/context.js';
import { commitCertificateCodec } from '../../src/lib/core/consensus/types.js';
import { toHex } from '../../src/lib/core/crypto/index.js';
import { bytesEqual } from '../../src/lib/core/encoding/cbor.js';
import { SparseMerkleTree, smtProofCodec, stateKey } from '../../src/lib/core/state/smt.js';
import { proveTx, txProofCodec, txRoot } from '../../src/lib/core/state/tx-merkle.js';
import { indexTagFromCapability } from '../../src/lib/core/records/index-tag.js';
import { record } from '../../src/lib/core/chain/fixtures.node.js';
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { handleHeader } from '../../src/lib/net/header.js';
import { handleStateProof } from '../../src/lib/net/state-proof.js';
import { handleTxProof } from '../../src/lib/net/tx-proof.js';
import { handleBlob, verifyBlobAuthSignature, type BlobAuth } from '../../src/lib/net/blob.js';
import { handleRecord } from '../../src/lib/net/record-fetch.js';
import type { ServeContext } from '../../src/lib/net/rpc.js';
import type { TxProofRequest } from '../../src/lib/net/tx-proof.js';
import { certify, makeValidators } from '../../src/lib/light/test-chain.node.js';
import {
  buildWorld,
  CATEGORY,
  type Certified,
  type HospitalChain,
  type World,
  type WorldOptions
} from './light-world.js';

export const MODES = [
  'honest',
  'slow',
  'alter-blob',
  'alter-index',
  'forge-header',
  'withhold-index',
  'hide-revocation',
  'stale',
  'rewrite-hospital'
] as const;
export type Mode = (typeof MODES)[number];

/** How late 'slow' answers a record request: long enough for a test to kill the process mid-request. */
const SLOW_MS = 2_000;

function forgedHead(w: World): Certified {
  const real = w.consortium.head.header;
  const header: Header = { ...real, height: real.height + 5, time: real.time + 5000 };
  // Names the real final set, but is signed by keys that are not in it.
  return { header, cert: certify(header, makeValidators(666, 4)) };
}

/** Hospital blocks re-signed by the hospital's own validators with one record swapped for another. */
function rewritten(w: World, chain: HospitalChain): (Certified & { txs: Uint8Array[] })[] {
  return chain.blocks.map((b, i) => {
    const tx = appendRecordCodec.decode(b.txs[0]!);
    const swapped = record(tx.grant, {
      patient: w.patient,
      author: w.doctor,
      category: CATEGORY,
      hospital: chain.id,
      blob: new TextEncoder().encode(`a different record ${i}`),
      mirrors: []
    });
    const txs = [appendRecordCodec.encode(swapped), ...b.txs.slice(1)];
    const header: Header = { ...b.header, txRoot: txRoot(txs) as Header['txRoot'] };
    return { header, cert: certify(header, chain.vals), txs };
  });
}

async function serveWorld(host: NodeHost, w: World, mode: Mode): Promise<void> {
  const peerId = host.peerId.toString();
  const opts = { guard: host.guard };
  const indexKeys = new Set<string>();
  for (const r of w.records)
    for (let n = 0; n < 4; n++) indexKeys.add(toHex(stateKey(NS.index, pageId(r.tag, n))));
  const revocationKey = toHex(
    stateKey(NS.revocation, grantRevocationKey(w.patient.keys.signingPublic, w.revokedGrantId))
  );
  const empty = SparseMerkleTree.empty();
  const forged = forgedHead(w);
  const alt = new Map(w.hospitals.map((h) => [h.chainId, rewritten(w, h)]));

  await handleHeader(
    host.libp2p,
    {
      async latest(req) {
        if (req.chainId === CONSORTIUM_CHAIN_ID) {
          const top =
            mode === 'stale' ? w.consortium.stale : mode === 'forge-header' ? forged : w.consortium.head;
          const changes = w.consortium.changes.filter(
            (c) => c.header.height > req.trustedHeight && c.header.height <= top.header.height
          );
          return {
            height: top.header.height,
            header: headerCodec.encode(top.header) as never,
            commit: commitCertificateCodec.encode(top.cert) as never,
            validatorChanges: changes.slice(0, 48).map((c) => changeProofCodec.encode(c)) as never
          };
        }
        const chain = w.hospitals.find((h) => h.chainId === req.chainId);
        if (!chain) throw new CoreError('chain/wrong-chain', { chainId: req.chainId }, 'ignore');
        const top = chain.blocks.at(-1)!;
        return {
          height: top.header.height,
          header: headerCodec.encode(top.header) as never,
          commit: commitCertificateCodec.encode(top.cert) as never,
          validatorChanges: []
        };
      }
    },
    undefined,
    opts
  );

  await handleStateProof(
    host.libp2p,
    {
      async prove(req) {
        if (req.chainId !== CONSORTIUM_CHAIN_ID)
          throw new CoreError('chain/wrong-chain', { chainId: req.chainId }, 'ignore');
        const stale = mode === 'stale';
        const state = stale ? w.consortium.staleState : w.consortium.state;
        const height = (stale ? w.consortium.stale : w.consortium.head).header.height;
        if (req.height !== null && req.height !== height)
          throw new CoreError('proof/invalid', { detail: `height ${req.height} not held` }, 'ignore');
        const k = toHex(req.key);
        let value = state.get(req.key) ?? null;
        let proof = state.prove(req.key);
        if (
          (mode === 'withhold-index' && indexKeys.has(k)) ||
          (mode === 'hide-revocation' && k === revocationKey)
        ) {
          value = null;
          proof = empty.prove(req.key);
        }
        if (mode === 'alter-index' && indexKeys.has(k) && value) {
          const page = pageCodec.decode(value);
          const first = Uint8Array.from(page.entries[0]!);
          first[first.length - 1] = first[first.length - 1]! ^ 1;
          value = pageCodec.encode({ ...page, entries: [first, ...page.entries.slice(1)] });
        }
        return {
          height,
          root: state.root() as never,
          key: req.key,
          value: value as never,
          proof: smtProofCodec.encode(proof) as never
        };
      }
    },
    undefined,
    opts
  );

  const prove = async (req: Pick<TxProofRequest, 'chainId' | 'height' | 'txHash' | 'txIndex'>) => {
    const chain = w.hospitals.find((h) => h.chainId === req.chainId);
    if (!chain) throw new CoreError('chain/wrong-chain', { chainId: req.chainId }, 'ignore');
    const blocks = mode === 'rewrite-hospital' ? alt.get(chain.chainId)! : chain.blocks;
    const b = blocks[req.height - 1];
    if (mode === 'slow') await new Promise((r) => setTimeout(r, SLOW_MS));
    if (!b) throw new CoreError('chain/unknown-record', { height: req.height }, 'ignore');
    const index = req.txIndex ?? b.txs.findIndex((tx) => bytesEqual(txHash(tx), req.txHash));
    if (index < 0 || index >= b.txs.length)
      throw new CoreError('chain/unknown-record', { height: req.height }, 'ignore');
    return {
      header: headerCodec.encode(b.header) as never,
      commit: commitCertificateCodec.encode(b.cert) as never,
      tx: b.txs[index] as never,
      proof: txProofCodec.encode(proveTx(b.txs, index)) as never
    };
  };

  const blob = async (auth: BlobAuth, ctx: ServeContext) => {
    if (!verifyBlobAuthSignature(auth))
      throw new CoreError('crypto/bad-signature', { detail: 'blob request' });
    if (auth.node !== peerId)
      throw new CoreError('node/not-permitted', { detail: 'request is for another node' });
    const rec = w.records.find((r) => bytesEqual(r.entry.mhrHash, auth.hash));
    if (!rec) throw new CoreError('node/blob-missing', { hash: toHex(auth.hash) }, 'ignore');
    if (!auth.capability || !bytesEqual(indexTagFromCapability(auth.capability), rec.tag))
      throw new CoreError('consent/out-of-scope', { detail: 'capability is for another tag' });
    if (mode === 'slow') await new Promise((r) => setTimeout(r, SLOW_MS));
    if (ctx.signal.aborted) throw new CoreError('net/timeout', {}, 'ignore');
    if (mode !== 'alter-blob') return rec.blob;
    const altered = Uint8Array.from(rec.blob);
    altered[altered.length - 1] = altered[altered.length - 1]! ^ 1;
    return altered;
  };

  await handleTxProof(host.libp2p, { prove }, undefined, opts);
  await handleBlob(host.libp2p, { fetch: blob }, undefined, opts);
  // The one-request path (net/record-fetch.ts); LIGHT_NO_RECORD=1 serves as a node that predates it.
  if (process.env['LIGHT_NO_RECORD'] !== '1')
    await handleRecord(
      host.libp2p,
      {
        async fetch(req, ctx) {
          // Authorised first, as the node does: a refused reader learns nothing about the block either.
          const bytes = await blob(req.auth, ctx);
          const proof = await prove({ ...req, txHash: new Uint8Array(32) as never });
          return { ...proof, blob: bytes };
        }
      },
      undefined,
      opts
    );
}

/** The node's public HTTP face (src/node/http.ts), reduced to what a light client reads. */
async function serveHttp(host: NodeHost, w: World): Promise<{ server: Server; url: string }> {
  const genesis = JSON.stringify(genesisFileOf(w.genesis));
  const server = createServer((req, res) => {
    const json = (body: string) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
      res.end(body);
    };
    if (req.url === '/addrs') return json(JSON.stringify({ addrs: host.multiaddrs() }));
    if (req.url === '/genesis.json') return json(genesis);
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end('<!doctype html><title>light</title>');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function main(): Promise<void> {
  const [dataDir, worldJson, modeList] = process.argv.slice(2);
  if (!dataDir || !worldJson || !modeList)
    throw new Error('usage: light-server.node.ts <dir> <world> <modes>');
  // Signatures checked with node:crypto, as a hospital node does (src/node/run.ts).
  setEd25519Backend(nodeEd25519);
  const world = buildWorld(JSON.parse(worldJson) as WorldOptions);
  const webrtc = process.env['LIGHT_WEBRTC'] === '1';
  const hosts: { mode: Mode; host: NodeHost; http: { server: Server; url: string } }[] = [];
  for (const [i, m] of modeList.split(',').entries()) {
    if (!(MODES as readonly string[]).includes(m)) throw new Error(`unknown mode ${m}`);
    const host = await createNodeHost({
      dataDir: join(dataDir, `${i}-${m}`),
      listen: { host: '127.0.0.1', tcp: 0, ws: 0, ...(webrtc ? { webrtcDirect: 0 } : {}) },
      allowPrivateAddresses: true
    });
    await serveWorld(host, world, m as Mode);
    hosts.push({ mode: m as Mode, host, http: await serveHttp(host, world) });
  }
  process.stdout.write(
    JSON.stringify({
      pid: process.pid,
      hosts: hosts.map((h) => ({
        mode: h.mode,
        peerId: h.host.peerId.toString(),
        addrs: h.host.multiaddrs(),
        httpUrl: h.http.url
      }))
    }) + '\n'
  );
  const stop = async () => {
    for (const h of hosts) {
      h.http.server.close();
      await h.host.stop();
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
