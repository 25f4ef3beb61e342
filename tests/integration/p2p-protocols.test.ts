/**
 * Two real libp2p hosts on 127.0.0.1 over TCP: every protocol's request/response through the test
 * services, named refusals as named errors, and loopback latency figures.
 */
import '../../src/node/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createNodeHost, type NodeHost } from '../../src/node/p2p/host.js';
import { DEFAULT_RATE_LIMITS } from '../../src/lib/net/rate-limit.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import { sha256 } from '../../src/lib/core/crypto/hash.js';
import { signingPublicKey } from '../../src/lib/core/crypto/ed25519.js';
import { toHex } from '../../src/lib/core/crypto/index.js';
import {
  CONSENSUS_STREAM_PROTOCOL,
  consensusStreamTo,
  requestConsensusGossip
} from '../../src/lib/net/consensus-gossip.js';
import { requestBlockSync } from '../../src/lib/net/block-sync.js';
import { requestTxSubmit } from '../../src/lib/net/tx-submit.js';
import { requestHeader } from '../../src/lib/net/header.js';
import { requestStateProof } from '../../src/lib/net/state-proof.js';
import { requestTxProof } from '../../src/lib/net/tx-proof.js';
import { requestBlob, signBlobAuth, type UnsignedBlobAuth } from '../../src/lib/net/blob.js';
import { requestMirror } from '../../src/lib/net/mirror.js';
import { BLOB, BLOB_HASH, CHAIN, HEAD, serveAll, streamed, TAGS, V } from './p2p-fixtures.js';

const doctorSeed = new Uint8Array(32).fill(7);
const strangerSeed = new Uint8Array(32).fill(9);
let dir: string;
let server: NodeHost;
let client: NodeHost;
let target: Multiaddr;

const key = (first: number): Uint8Array<ArrayBuffer> => {
  const k = new Uint8Array(32);
  k[0] = first;
  return k;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-p2p-proto-'));
  server = await createNodeHost({
    dataDir: join(dir, 'server'),
    listen: { host: '127.0.0.1', tcp: 0 },
    allowPrivateAddresses: true,
    // The latency figure below sends 300 requests back to back; the flood test covers throttling.
    limits: { rate: { ...DEFAULT_RATE_LIMITS, requests: { ratePerSec: 10_000, burst: 10_000 } } }
  });
  client = await createNodeHost({ dataDir: join(dir, 'client'), listen: {}, allowPrivateAddresses: true });
  await serveAll(server.libp2p, new Set([toHex(signingPublicKey(doctorSeed))]), { guard: server.guard });
  target = multiaddr(server.multiaddrs().find((a) => a.includes('/tcp/'))!);
});

afterAll(async () => {
  await client?.stop();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function blobAuth(seed: Uint8Array, hash = BLOB_HASH): ReturnType<typeof signBlobAuth> {
  const unsigned: UnsignedBlobAuth = {
    t: TAGS.netBlobAuth,
    v: V,
    hash: hash as UnsignedBlobAuth['hash'],
    node: server.peerId.toString(),
    requester: signingPublicKey(seed) as UnsignedBlobAuth['requester'],
    grantId: null,
    capability: null,
    breakGlass: null,
    time: 1_700_000_000_000,
    nonce: new Uint8Array(16).fill(1) as UnsignedBlobAuth['nonce']
  };
  return signBlobAuth(unsigned, seed);
}

/** Polls `ok` every 10 ms; fails after 10 s. */
async function waitUntil(ok: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() - t0 > 10_000) throw new Error('condition not met within 10 s');
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e
  );
  expect(isCoreError(err), String(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

describe('carechain protocols over real libp2p (TCP, loopback)', () => {
  const c = (): NodeHost['libp2p'] => client.libp2p;

  it('consensus-gossip: a batch is acknowledged; a wrong chain is refused by name', async () => {
    const msgs = [
      { kind: 'vote' as const, payload: new Uint8Array([1, 2]) as Uint8Array<ArrayBuffer> },
      { kind: 'proposal' as const, payload: new Uint8Array([3]) as Uint8Array<ArrayBuffer> }
    ];
    const ack = await requestConsensusGossip(c(), target, {
      t: TAGS.netGossip,
      v: V,
      chainId: CHAIN,
      messages: msgs
    });
    expect(ack.accepted).toBe(2);
    await rejects(
      requestConsensusGossip(c(), target, { t: TAGS.netGossip, v: V, chainId: 'other', messages: msgs }),
      'chain/wrong-chain'
    );
  });

  it('consensus-stream: batches arrive in order on one standing stream; a reset stream is replaced', async () => {
    const sender = consensusStreamTo(c(), target);
    const batch = (i: number, chainId = CHAIN) => ({
      t: TAGS.netGossip,
      v: V,
      chainId,
      messages: [{ kind: 'vote' as const, payload: Uint8Array.of(i) as Uint8Array<ArrayBuffer> }]
    });
    const arrived = (n: number) => waitUntil(() => streamed.length >= n);
    const openStreams = () =>
      c()
        .getConnections()
        .flatMap((conn) => conn.streams)
        .filter((s) => s.protocol === CONSENSUS_STREAM_PROTOCOL && s.status === 'open').length;
    streamed.length = 0;
    for (let i = 0; i < 50; i++) await sender.send(batch(i));
    await arrived(50);
    expect(streamed.map((r) => r.messages[0]!.payload[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(openStreams()).toBe(1);
    // A frame the service refuses resets the stream (no answer on a one-way stream) ...
    await sender.send(batch(99, 'other'));
    await waitUntil(() => openStreams() === 0);
    // ... and the next send opens a fresh one.
    await sender.send(batch(50));
    await arrived(51);
    expect(streamed.at(-1)!.messages[0]!.payload[0]).toBe(50);
    expect(streamed.some((r) => r.chainId === 'other')).toBe(false);
    // A frame over the limit never leaves this side.
    const part = {
      kind: 'proposal' as const,
      payload: new Uint8Array(3 * 2 ** 20) as Uint8Array<ArrayBuffer>
    };
    await rejects(sender.send({ ...batch(0), messages: [part, part] }), 'decode/too-large');
    sender.close();
  });

  it('block-sync: a height range streams one frame per block, stopping at the head', async () => {
    const blocks = await requestBlockSync(c(), target, {
      t: TAGS.netSyncRequest,
      v: V,
      chainId: CHAIN,
      from: 90,
      count: 32
    });
    expect(blocks.map((b) => b.height)).toEqual(Array.from({ length: HEAD - 89 }, (_, i) => 90 + i));
    expect(new TextDecoder().decode(blocks[0]!.block)).toBe('block 90');
  });

  it('tx-submit: accepted with the hash, or rejected with a code', async () => {
    const tx = new Uint8Array([1, 2, 3]) as Uint8Array<ArrayBuffer>;
    const ok = await requestTxSubmit(c(), target, { t: TAGS.netTxSubmit, v: V, chainId: CHAIN, tx });
    expect(ok.accepted).toBe(true);
    if (ok.accepted) expect(toHex(ok.txHash)).toBe(toHex(sha256(tx)));
    const no = await requestTxSubmit(c(), target, {
      t: TAGS.netTxSubmit,
      v: V,
      chainId: CHAIN,
      tx: new Uint8Array([2]) as Uint8Array<ArrayBuffer>
    });
    expect(no).toMatchObject({ accepted: false, code: 'chain/bad-tx' });
  });

  it('header, state-proof (membership and absence) and tx-proof', async () => {
    const h = await requestHeader(c(), target, {
      t: TAGS.netHeaderRequest,
      v: V,
      chainId: CHAIN,
      trustedHeight: 0
    });
    expect(h.height).toBe(HEAD);
    const present = await requestStateProof(c(), target, {
      t: TAGS.netStateRequest,
      v: V,
      chainId: CHAIN,
      key: key(2),
      height: null
    });
    expect(present.value).not.toBeNull();
    const absent = await requestStateProof(c(), target, {
      t: TAGS.netStateRequest,
      v: V,
      chainId: CHAIN,
      key: key(3),
      height: 5
    });
    expect(absent.value).toBeNull();
    expect(absent.height).toBe(5);
    const p = await requestTxProof(c(), target, {
      t: TAGS.netTxProofRequest,
      v: V,
      chainId: CHAIN,
      height: 3,
      txHash: key(1)
    });
    expect(new TextDecoder().decode(p.tx)).toBe('tx');
    await rejects(
      requestTxProof(c(), target, {
        t: TAGS.netTxProofRequest,
        v: V,
        chainId: CHAIN,
        height: HEAD + 1,
        txHash: key(1)
      }),
      'chain/unknown-record'
    );
  });

  it('blob: served to an allowed reader (hash-checked), refused by name otherwise', async () => {
    const blob = await requestBlob(c(), target, blobAuth(doctorSeed));
    expect(toHex(blob)).toBe(toHex(BLOB));
    await rejects(requestBlob(c(), target, blobAuth(strangerSeed)), 'consent/wrong-doctor');
    await rejects(requestBlob(c(), target, blobAuth(doctorSeed, key(4))), 'node/blob-missing');
    const forged = { ...blobAuth(doctorSeed), time: 1 };
    await rejects(requestBlob(c(), target, forged), 'crypto/bad-signature');
  });

  it('mirror: store returns an attestation, fetch returns the bytes, a hash mismatch is refused', async () => {
    const blob = new TextEncoder().encode('another blob') as Uint8Array<ArrayBuffer>;
    const hash = sha256(blob) as Uint8Array<ArrayBuffer>;
    const stored = await requestMirror(c(), target, {
      t: TAGS.netMirrorRequest,
      v: V,
      op: 'store',
      hash,
      blob
    });
    expect(stored.op).toBe('attestation');
    const fetched = await requestMirror(c(), target, { t: TAGS.netMirrorRequest, v: V, op: 'fetch', hash });
    expect(fetched.op === 'blob' && toHex(fetched.blob)).toBe(toHex(blob));
    await rejects(
      requestMirror(c(), target, { t: TAGS.netMirrorRequest, v: V, op: 'store', hash: key(6), blob }),
      'record/hash-mismatch'
    );
  });

  it('measures request latency over loopback (sequential header requests on one connection)', async () => {
    const n = 300;
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await requestHeader(c(), target, { t: TAGS.netHeaderRequest, v: V, chainId: CHAIN, trustedHeight: 0 });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(n * 0.5)]!;
    const p99 = times[Math.floor(n * 0.99)]!;
    console.log(
      `[p2p] header request latency over loopback: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (n=${n})`
    );
    expect(p50).toBeLessThan(50);
  }, 60_000);
});
