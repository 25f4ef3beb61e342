/**
 * A hostile peer as its own process, for the flood scenario (run with `node --import tsx`):
 *   flood-peer.ts connections <durationMs> <sourceIp> <multiaddr>...   raw TCP connections opened as fast
 *       as the node closes them, plus a libp2p peer opening streams on every protocol without using them
 *   flood-peer.ts frames <durationMs> <sourceIp> <multiaddr>...   oversized length prefixes, truncated
 *       frames, random bytes and malformed CBOR on every protocol
 * Bounded by design: at most CONCURRENCY sockets or streams in flight, and it stops itself after
 * durationMs. Its source address is another loopback IP, as an attacker on another host would be,
 * so per-IP limits act on it and not on the honest nodes (which all live on 127.0.0.1). Prints one
 * JSON line of counts when done.
 */
import '../../src/node/polyfills.js';
import { connect, type Socket } from 'node:net';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { encodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { encodeFrame, encodeVarint } from '../../src/lib/net/framing.js';
import { BLOCK_SYNC_PROTOCOL } from '../../src/lib/net/block-sync.js';
import { CONSENSUS_GOSSIP_PROTOCOL, CONSENSUS_STREAM_PROTOCOL } from '../../src/lib/net/consensus-gossip.js';
import { TX_SUBMIT_PROTOCOL } from '../../src/lib/net/tx-submit.js';
import { HEADER_PROTOCOL } from '../../src/lib/net/header.js';
import { STATE_PROOF_PROTOCOL } from '../../src/lib/net/state-proof.js';
import { TX_PROOF_PROTOCOL } from '../../src/lib/net/tx-proof.js';
import { BLOB_PROTOCOL } from '../../src/lib/net/blob.js';
import { MIRROR_PROTOCOL } from '../../src/lib/net/mirror.js';

/** Sockets or streams in flight at once: enough to exceed every per-peer and per-IP limit the node has. */
const CONCURRENCY = 256;
const PROTOCOLS = [
  CONSENSUS_GOSSIP_PROTOCOL,
  CONSENSUS_STREAM_PROTOCOL,
  BLOCK_SYNC_PROTOCOL,
  TX_SUBMIT_PROTOCOL,
  HEADER_PROTOCOL,
  STATE_PROOF_PROTOCOL,
  TX_PROOF_PROTOCOL,
  BLOB_PROTOCOL,
  MIRROR_PROTOCOL
];

const [mode, durationArg, sourceIp, ...targetArgs] = process.argv.slice(2);
const until = Date.now() + Number(durationArg);
const targets: Multiaddr[] = targetArgs.map((t) => multiaddr(t));
const counts: Record<string, number> = {};
const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
const random = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (Math.random() * 256) | 0;
  return b;
};

async function peer(): Promise<Libp2p> {
  return createLibp2p({
    transports: [tcp({ dialOpts: { localAddress: sourceIp } as never })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxOutboundStreams: 10_000 })],
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: { maxConnections: 10_000 }
  });
}

/** Keep `CONCURRENCY` workers each running `job` back to back until time is up. */
async function pool(job: (i: number) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) await job(i++).catch(() => count('error'));
    })
  );
}

function rawConnection(i: number): Promise<void> {
  const parts = targets[i % targets.length]!.getComponents();
  const host = parts.find((c) => c.name === 'ip4')!.value!;
  const port = Number(parts.find((c) => c.name === 'tcp')!.value);
  return new Promise((done) => {
    const s: Socket = connect({ host, port, localAddress: sourceIp });
    const end = () => {
      s.destroy();
      done();
    };
    s.once('connect', () => {
      count('tcp-open');
      // A multistream-select greeting and then nothing: the node must time it out or drop it.
      s.write('\x13/multistream/1.0.0\n');
      setTimeout(end, 1000);
    });
    s.once('error', () => {
      count('tcp-refused');
      end();
    });
    s.once('close', end);
  });
}

async function idleStream(node: Libp2p, i: number): Promise<void> {
  const target = targets[i % targets.length]!;
  const protocol = PROTOCOLS[i % PROTOCOLS.length]!;
  try {
    const s = await node.dialProtocol(target, protocol, { signal: AbortSignal.timeout(2000) });
    count('stream-open');
    await new Promise((r) => setTimeout(r, 500));
    s.abort(new Error('flood'));
  } catch {
    count('stream-refused');
  }
}

const badPayloads = (): Uint8Array[] => [
  encodeVarint(2 ** 34), // a 16 GiB frame announced
  encodeVarint(64 * 1024 * 1024), // 64 MiB: over every protocol's limit
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), // a varint too long to be honest
  encodeFrame(random(200)), // valid length, random body
  encodeFrame(encodeCanonical({ t: 'nonsense', v: 99, x: random(16) })), // CBOR of the wrong shape
  encodeVarint(1000).slice(), // prefix then nothing (truncated)
  random(4096) // no framing at all
];

async function badFrame(node: Libp2p, i: number): Promise<void> {
  const target = targets[i % targets.length]!;
  const protocol = PROTOCOLS[i % PROTOCOLS.length]!;
  const payloads = badPayloads();
  const bytes = payloads[i % payloads.length]!;
  try {
    const s = await node.dialProtocol(target, protocol, { signal: AbortSignal.timeout(2000) });
    s.send(bytes);
    await s.close({ signal: AbortSignal.timeout(2000) }).catch(() => {});
    count('frame-sent');
    s.abort(new Error('done'));
  } catch {
    count('frame-refused');
  }
}

async function main(): Promise<void> {
  if (mode === 'connections') {
    const node = await peer();
    await Promise.all([pool(rawConnection), pool((i) => idleStream(node, i))]);
    await node.stop();
  } else if (mode === 'frames') {
    const node = await peer();
    await pool((i) => badFrame(node, i));
    await node.stop();
  } else throw new Error(`unknown mode ${mode}`);
  process.stdout.write(JSON.stringify({ mode, ...counts }) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(String(e) + '\n');
    process.exit(1);
  }
);
