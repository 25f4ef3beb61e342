/**
 * Chain-rule figures (Node: node:crypto Ed25519 and SHA-256): the size of an append-record transaction;
 * the cost per record of admitting a transaction never seen before (verifyTx: strict decode, the three
 * signatures — author and two single-form mirror attestations — and every state rule); and, for
 * transactions already admitted (decode and signatures remembered by tx/known.ts, as on a validator),
 * of checking a proposed block (verifyBlock), applying a certified one (applyCertifiedBlock) and
 * building one (buildBlock). Hospital nodes verify through libsodium, ~2.2x faster than node:crypto.
 * Times are CPU µs (see cpuUs). Run: `node --import tsx src/lib/core/chain/bench.node.ts` (prints a
 * table, then one JSON line);
 * tests/bench can import `benchChain` to add these to `npm run bench -- core`.
 */
import { setEd25519Backend, verifySignature } from '../crypto/ed25519.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { setSha256Backend } from '../crypto/hash.js';
import { nodeSha256 } from '../crypto/hash.node.js';
import { signable } from '../encoding/codec.js';
import { NODES, T0, DAY, record, world } from './fixtures.node.js';
import { appendRecordCodec } from './tx/append-record.js';
import { blockCodec } from './block.js';
import { applyCertifiedBlock, buildBlock, verifyBlock, verifyTx } from './rules/block.js';

/** Records per block measured: the node caps a hospital block at 1,024 (one index batch); 512 is typical of a busy one. */
const RECORDS = 512;
const REPEATS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * CPU time (user + system) of `fn`, median of REPEATS: these machines are shared (load averages far
 * above the 2 cores are common), and wall time then mostly measures the neighbours.
 */
function cpuUs(fn: () => void): number {
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t);
    runs.push(d.user + d.system);
  }
  return median(runs);
}

export async function benchChain(): Promise<Record<string, number>> {
  setEd25519Backend(nodeEd25519);
  setSha256Backend(nodeSha256);
  const W = world();
  // Admission: each repeat gets transactions this process has never decoded.
  const fresh = Array.from({ length: REPEATS }, () =>
    Array.from({ length: RECORDS }, () => appendRecordCodec.encode(record(W.grantId)))
  );
  const ctx = { ...W.params, height: 1, time: T0 + DAY, txIndex: 0 };
  let round = 0;
  const admitUs = cpuUs(() => {
    for (const tx of fresh[round++]!) {
      const v = verifyTx(W.hospitalState, tx, ctx);
      if (!v.ok) throw v.error;
    }
  });
  const txs = Array.from({ length: RECORDS }, () => appendRecordCodec.encode(record(W.grantId)));
  const proposer = NODES['dhaka-medical']![3]!.keys.signingPublic;
  let built = buildBlock(W.hospitalHeader, W.hospitalState, txs, T0 + DAY, proposer, W.params);
  if (built.dropped.length) throw new Error(`bench block dropped ${built.dropped.length} records`);
  const buildUs = cpuUs(() => {
    built = buildBlock(W.hospitalHeader, W.hospitalState, txs, T0 + DAY, proposer, W.params);
  });
  const block = built.block;
  const verifyUs = cpuUs(() => {
    const v = verifyBlock(W.hospitalHeader, W.hospitalState, block, W.params);
    if (!v.ok) throw v.error;
  });
  const certifiedUs = cpuUs(() => {
    const r = applyCertifiedBlock(W.hospitalHeader, W.hospitalState, block, W.params);
    if (!r.ok) throw r.error;
  });
  // The floor: the three signature checks a record carries, nothing else.
  const recs = txs.map((t) => appendRecordCodec.decode(t));
  const sigUs = cpuUs(() => {
    for (const r of recs) {
      if (!verifySignature(r.author, signable(r), r.sig)) throw new Error('sig');
      for (const a of r.attestations)
        if (!verifySignature(a.mirror, signable(a), a.sig)) throw new Error('attestation');
    }
  });
  const txBytes = txs.map((t) => t.length);
  return {
    records_per_block: RECORDS,
    append_record_tx_bytes: Math.round(txBytes.reduce((a, b) => a + b, 0) / txBytes.length),
    append_record_tx_bytes_max: Math.max(...txBytes),
    block_bytes_per_record: Math.round(blockCodec.encode(block).length / RECORDS),
    admit_fresh_us_per_record: Math.round(admitUs / RECORDS),
    build_us_per_record: Math.round(buildUs / RECORDS),
    verify_us_per_record: Math.round(verifyUs / RECORDS),
    apply_certified_us_per_record: Math.round(certifiedUs / RECORDS),
    signatures_only_us_per_record: Math.round(sigUs / RECORDS)
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchChain();
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(32)} ${v}`);
  console.log(JSON.stringify(r));
}
