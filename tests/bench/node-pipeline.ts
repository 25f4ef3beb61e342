/**
 * The chain rules' share of a node's work, in this process with a node's backends (libsodium Ed25519
 * behind the verify cache, node:crypto SHA-256): per record, CPU µs to admit an append-record never
 * seen before (verifyTx: decode, author signature, two batched attestations from mirrors that signed
 * batches of 16, state rules) and to execute the block holding it on a validator (memo hits for
 * decode and signatures). Median of ROUNDS rounds of fresh transactions. Everything else a node does
 * per record — libp2p, framing, consensus, LevelDB, garbage collection — comes on top.
 */
import { setEd25519Backend, setSha256Backend, sha256 } from '../../src/lib/core/crypto/index.js';
import { nodeSha256 } from '../../src/lib/core/crypto/hash.node.js';
import {
  DAY,
  DOCTOR,
  HOSPITAL,
  MIRRORS,
  NODES,
  T0,
  record,
  world
} from '../../src/lib/core/chain/fixtures.node.js';
import { appendRecordCodec, createAppendRecord } from '../../src/lib/core/chain/tx/append-record.js';
import { createBatchAttestations } from '../../src/lib/core/chain/tx/attestation.js';
import { blockCodec } from '../../src/lib/core/chain/block.js';
import { buildBlock, executeBlock, verifyTx } from '../../src/lib/core/chain/rules/block.js';
import { sodiumEd25519 } from '../../src/node/crypto/ed25519-sodium.js';
import { cachingBackend } from '../../src/node/verify-cache.js';
import { percentile } from './report.js';

const RECORDS = 512;
const ROUNDS = 7;
const MIRROR_BATCH = 16;

export function pipelineFigures(): { admit_us_per_record: number; execute_us_per_record: number } {
  setEd25519Backend(cachingBackend(sodiumEd25519));
  setSha256Backend(nodeSha256);
  const W = world();
  let n = 0;
  const fresh = () => {
    const txs: Uint8Array[] = [];
    for (let b = 0; b < RECORDS / MIRROR_BATCH; b++) {
      const names = Array.from({ length: MIRROR_BATCH }, () => new TextEncoder().encode(`blob ${n++}`));
      const blobs = names.map((x) => ({ mhrHash: sha256(x), size: 300 }));
      const atts = MIRRORS[HOSPITAL]!.map((m) =>
        createBatchAttestations(
          m.keys.signingSeed,
          m.keys.signingPublic,
          { hospital: HOSPITAL, time: T0 + DAY },
          blobs
        )
      );
      names.forEach((x, i) => {
        const r = record(W.grantId, { blob: x });
        const attestations = atts.map((a) => a[i]!);
        txs.push(
          appendRecordCodec.encode(
            createAppendRecord(DOCTOR.keys.signingSeed, r.author, { ...r, attestations })
          )
        );
      });
    }
    return txs;
  };
  const ctx = { ...W.params, height: 1, time: T0 + DAY + 1000, txIndex: 0 };
  const proposer = NODES[HOSPITAL]![0]!.keys.signingPublic;
  const admit: number[] = [];
  const execute: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const txs = fresh();
    let t = process.cpuUsage();
    for (const tx of txs) {
      const v = verifyTx(W.hospitalState, tx, ctx);
      if (!v.ok) throw v.error;
    }
    let d = process.cpuUsage(t);
    admit.push((d.user + d.system) / RECORDS);
    const built = buildBlock(W.hospitalHeader, W.hospitalState, txs, T0 + DAY + 1000, proposer, W.params);
    const block = blockCodec.decode(blockCodec.encode(built.block));
    t = process.cpuUsage();
    const r = executeBlock(W.hospitalHeader, W.hospitalState, block, W.params);
    d = process.cpuUsage(t);
    if (!r.ok) throw r.error;
    execute.push((d.user + d.system) / RECORDS);
  }
  return {
    admit_us_per_record: Math.round(percentile(admit, 50)),
    execute_us_per_record: Math.round(percentile(execute, 50))
  };
}
