/**
 * `npm run bench -- consensus`: the BFT engine with 4 equal validators in one process, real Ed25519
 * through node:crypto, over the simulator's network with no faults (virtual delays of 1-2 ms, which
 * cost no real time). Every node pays its own CPU: no caches are shared between the simulated nodes.
 *
 * Times are the REAL CPU time (user + system, process.cpuUsage) of the one process running all four
 * validators — not virtual time, and not wall time, which on a shared machine measures the neighbours.
 * A node on its own machine does a quarter of this work:
 * - batched: every mempool starts with 20,000 transactions of 400 bytes; blocks hold up to 2,048;
 *   records/s = records committed at all four nodes / real seconds;
 * - light: one 400-byte transaction at a time (the next is submitted long after the last committed);
 *   latency = CPU time from submission until all four nodes committed it (network delay excluded:
 *   add one or two real round trips for a deployment).
 * bytes per record = (encoded block + encoded commit certificate) / records in it.
 */
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { LIMITS } from '../../src/lib/core/constants.js';
import { commitCertificateCodec } from '../../src/lib/core/consensus/types.js';
import { Simulation, type SimConfig, type SimResult } from '../../src/lib/core/consensus/sim/simulator.js';
import { decodeTestBlock } from '../../src/lib/core/consensus/sim/test-chain.js';
import { percentile } from './report.js';

/** CPU milliseconds used by this process so far. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

setEd25519Backend(nodeEd25519);

const TX_BYTES = 400;
const BASE: SimConfig = {
  seed: 1,
  validators: [1, 1, 1, 1].map((weight) => ({ weight })),
  maxVirtualMs: 10_000_000,
  delayMs: [1, 2],
  txBytes: TX_BYTES,
  sharedCaches: false,
  gossipMs: 60_000
};

function bytesPerRecord(res: SimResult): number {
  let bytes = 0;
  let records = 0;
  for (const b of res.blocks) {
    bytes += b.block.length + commitCertificateCodec.encode(b.cert).length;
    records += decodeTestBlock(b.block)!.txs.length;
  }
  return Math.round(bytes / records);
}

function batched(): { rate: number; bytes: number; blocks: number; records: number } {
  const prefill = 20_000;
  const sim = new Simulation({
    ...BASE,
    prefillTxs: prefill,
    maxTxsPerBlock: LIMITS.maxBlockTxs,
    txEveryMs: 0,
    heights: Math.ceil(prefill / LIMITS.maxBlockTxs)
  });
  const t = cpuMs();
  const res = sim.run();
  const seconds = (cpuMs() - t) / 1000;
  const records = res.blocks.reduce((n, b) => n + decodeTestBlock(b.block)!.txs.length, 0);
  return {
    rate: Math.round(records / seconds),
    bytes: bytesPerRecord(res),
    blocks: res.blocks.length,
    records
  };
}

function light(count: number): { p50: number; p99: number; bytes: number } {
  const samples: number[] = [];
  let started = 0;
  const sim = new Simulation({
    ...BASE,
    seed: 2,
    txEveryMs: 1_000,
    txUntilMs: count * 1_000,
    heights: count,
    onTxSubmitted: () => (started = cpuMs()),
    onTxCommitted: () => samples.push(cpuMs() - started)
  });
  const res = sim.run();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), bytes: bytesPerRecord(res) };
}

export async function benchConsensus(): Promise<Record<string, number>> {
  light(20); // warm-up: JIT and key objects
  const b = batched();
  const l = light(300);
  return {
    records_per_s_batched: b.rate,
    commit_latency_ms_p50_light: +l.p50.toFixed(2),
    commit_latency_ms_p99_light: +l.p99.toFixed(2),
    bytes_per_record_batched: b.bytes,
    bytes_per_record_light: l.bytes,
    batched_blocks: b.blocks,
    batched_records: b.records,
    validators: 4,
    tx_bytes: TX_BYTES
  };
}
