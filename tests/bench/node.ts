/**
 * `npm run bench -- node`: one hospital of 4 validator node processes (2 of them mirrors) on loopback,
 * real LevelDB and libp2p. Record transactions go in over tx-submit exactly as a doctor's app sends
 * them; a submit is answered only after the record's block is durable on the node that took it.
 *   records_per_s          sustained commits, records sent in tx-batch requests answered at commit
 *                          (blobs stored on mirrors and txs signed beforehand)
 *   commit_latency_ms_*    submit → durable-commit answer, one record every 100 ms
 *   disk_bytes_per_record  LevelDB growth of a non-mirror validator per record (chain + state)
 *   node_cpu_us_per_record CPU time of the four node processes during the sustained phase, per record
 *                          (the machine is shared: wall-clock figures are noisy, CPU time less so)
 *   node_main_thread_share the part of that CPU time spent on the nodes' JavaScript threads
 *   rules_*_us_per_record  the chain rules alone in this process, before any node runs: admitting a
 *                          fresh record and executing it in a block (node-pipeline.ts); each of the
 *                          four validators pays both
 */
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { multiaddr } from '@multiformats/multiaddr';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import type { Attestation } from '../../src/lib/core/chain/tx/attestation.js';
import { fromHex, seededRng, utf8Bytes } from '../../src/lib/core/crypto/index.js';
import {
  account,
  createClient,
  doctorFields,
  grantTx,
  patientFields,
  recordTx,
  registerTx,
  storeOnMirrors,
  submit,
  submitBatch,
  submitOk
} from '../../src/node/devnet/actors.js';
import { createLayout } from '../../src/node/devnet/layout.js';
import { freePortBlock } from '../../src/node/devnet/ports.js';
import { health, spawnNode, stopProcess, waitFor, waitHealthy } from '../../src/node/devnet/process.js';
import { pipelineFigures } from './node-pipeline.js';
import { percentile } from './report.js';

const THROUGHPUT_RECORDS = Number(process.env.BENCH_NODE_RECORDS ?? 3000);
const LIGHT_RECORDS = 60;
/** Client connections (ramped up under the per-IP connection-rate limit). */
const CLIENTS = Number(process.env.BENCH_NODE_CLIENTS ?? 8);
/** Records per tx-batch request: a quarter of a hospital block. */
const BATCH = Number(process.env.BENCH_NODE_BATCH ?? 256);
/** Batches in flight: enough to keep every node's mempool fed while earlier batches commit. */
const BATCHES_IN_FLIGHT = Number(process.env.BENCH_NODE_INFLIGHT ?? 8);

export async function benchNode(): Promise<Record<string, number>> {
  const rules = pipelineFigures();
  const dir = mkdtempSync(join(tmpdir(), 'cc-bench-node-'));
  const rng = seededRng(utf8Bytes('bench-node-actors'));
  const layout = await createLayout(dir, {
    hospitals: 1,
    basePort: await freePortBlock(4 * 4, 24000, 32000),
    timeouts: { proposeMs: 1000, prevoteMs: 500, precommitMs: 500, roundDeltaMs: 200 },
    indexIntervalMs: 1000,
    seed: 'bench-node'
  });
  const nodes = layout.hospitals[0]!.nodes;
  const procs = nodes.map((n) => spawnNode(n.configFile, join(n.dir, 'node.log')));
  const clients: Libp2p[] = [];
  try {
    for (const [i, n] of nodes.entries())
      await waitHealthy(n.name, n.httpUrl, procs[i]!, join(n.dir, 'node.log'));
    // Nodes accept ~10 new connections per second from one IP (a DoS limit): ramp the clients up.
    for (let i = 0; i < CLIENTS; i++) {
      const c = await createClient();
      clients.push(c);
      for (const n of nodes) await c.dial(multiaddr(n.addr)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 120));
    }
    const c0 = clients[0]!;
    const managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
    const patient = account('patient', rng(32));
    const doctor = account('doctor', rng(32));
    await submitOk(
      c0,
      nodes[0]!.addr,
      CONSORTIUM_CHAIN_ID,
      registerTx(patient, patientFields(rng), managers)
    );
    await submitOk(
      c0,
      nodes[0]!.addr,
      CONSORTIUM_CHAIN_ID,
      registerTx(doctor, doctorFields('Dr B', 'H1', 'consultant'), managers)
    );
    const now = Date.now();
    const grant = grantTx(
      patient,
      doctor,
      { categories: ['IV'], read: true, write: true },
      {
        seq: 1,
        notBefore: now - 60_000,
        expiry: now + 86_400_000
      }
    );
    await submitOk(c0, nodes[0]!.addr, CONSORTIUM_CHAIN_ID, grant.tx);
    await waitFor(
      'validators follow the grant',
      async () => {
        const hs = await Promise.all(nodes.map((n) => health(n.httpUrl)));
        return hs.every(
          (h) => (h as { chains: { consortium: { height: number } } }).chains.consortium.height >= 3
        );
      },
      30_000
    );

    const mirrors = nodes.filter((n) => n.roles.includes('mirror')).map((n) => n.addr);
    const prepare = async (count: number) => {
      const out: { blob: Uint8Array; atts: Attestation[] }[] = [];
      const blobs = Array.from({ length: count }, (_, i) => rng(256 + (i % 64)));
      await pool(blobs, CLIENTS * 4, async (blob, i) => {
        // Mirrors rate-limit each client (a phone stores a blob now and then): back off and retry.
        for (let attempt = 0; ; attempt++) {
          try {
            out[i] = { blob, atts: await storeOnMirrors(clients[i % CLIENTS]!, mirrors, blob) };
            return;
          } catch (e) {
            if (attempt >= 100) throw e;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      });
      return out;
    };

    // Light load: one record every 100 ms.
    const light = await prepare(LIGHT_RECORDS);
    const latencies: number[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < light.length; i++) {
      const { blob, atts } = light[i]!;
      const tx = recordTx(doctor, patient, 'H1', 'IV', grant, blob, atts).tx;
      const t0 = performance.now();
      pending.push(
        submit(clients[i % CLIENTS]!, nodes[i % nodes.length]!.addr, hospitalChainId('H1'), tx).then((r) => {
          if (r.accepted) latencies.push(performance.now() - t0);
        })
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(pending);

    // Sustained load: batches of records on tx-batch (one stream per batch, answered once the batch is
    // committed), BATCHES_IN_FLIGHT of them at once, spread over the clients and the four nodes.
    const heavy = await prepare(THROUGHPUT_RECORDS);
    const txs = heavy.map(({ blob, atts }) => recordTx(doctor, patient, 'H1', 'IV', grant, blob, atts).tx);
    const batches: Uint8Array[][] = [];
    for (let i = 0; i < txs.length; i += BATCH) batches.push(txs.slice(i, i + BATCH));
    const probe = nodes[3]!;
    const bytesBefore = ((await health(probe.httpUrl)) as { storageBytes: number }).storageBytes;
    let ok = 0;
    let refused = 0;
    const why = new Map<string, number>();
    const note = (code: string, n = 1) => {
      refused += n;
      why.set(code, (why.get(code) ?? 0) + n);
    };
    const cpuBefore = procs.map((p) => cpuSeconds(p));
    const mainBefore = procs.map((p) => cpuSeconds(p, true));
    const t0 = performance.now();
    await pool(batches, BATCHES_IN_FLIGHT, async (batch, i) => {
      const results = await submitBatch(
        clients[i % CLIENTS]!,
        nodes[i % nodes.length]!.addr,
        hospitalChainId('H1'),
        batch
      ).catch((e: unknown) => {
        note(`transport error (${(e as { code?: string }).code ?? (e as Error).message})`, batch.length);
        return [];
      });
      for (const r of results) {
        if (r.accepted) ok++;
        else note(r.code);
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpuEach = procs.map((p, k) => cpuSeconds(p) - cpuBefore[k]!);
    const cpu = cpuEach.reduce((a, c) => a + c, 0);
    const main = procs.reduce((a, p, k) => a + cpuSeconds(p, true) - mainBefore[k]!, 0);
    await new Promise((r) => setTimeout(r, 2000));
    const bytesAfter = ((await health(probe.httpUrl)) as { storageBytes: number }).storageBytes;
    console.log(`sustained: ${ok} committed, ${refused} refused or timed out, in ${seconds.toFixed(1)} s`);
    console.log(
      `node CPU during it: ${cpu.toFixed(1)} s over 4 processes (${((cpu / seconds) * 100).toFixed(0)} % of one core; ${((cpu * 1e6) / Math.max(1, ok)).toFixed(0)} µs per record)`
    );
    console.log(
      `CPU s per node: ${nodes.map((n, k) => `${n.name} (${n.roles.join('+')}${n.authority ? '+authority' : ''}) ${cpuEach[k]!.toFixed(1)}`).join(', ')}`
    );
    console.log(
      `of which on the JavaScript threads: ${main.toFixed(1)} s (${((main / Math.max(cpu, 0.01)) * 100).toFixed(0)} %)`
    );
    if (why.size) console.log(`not committed: ${[...why].map(([c, n]) => `${c} × ${n}`).join(', ')}`);
    return {
      records_per_s: Math.round(ok / seconds),
      commit_latency_ms_p50: Math.round(percentile(latencies, 50)),
      commit_latency_ms_p99: Math.round(percentile(latencies, 99)),
      light_records_committed: latencies.length,
      disk_bytes_per_record: Math.round((bytesAfter - bytesBefore) / Math.max(1, ok)),
      node_cpu_us_per_record: Math.round((cpu * 1e6) / Math.max(1, ok)),
      node_main_thread_share: Math.round((main / Math.max(cpu, 0.01)) * 100) / 100,
      rules_admit_us_per_record: rules.admit_us_per_record,
      rules_execute_us_per_record: rules.execute_us_per_record,
      validators: nodes.length
    };
  } finally {
    for (const c of clients) await c.stop();
    await Promise.all(procs.map((p) => stopProcess(p)));
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * User + system CPU seconds of a child process so far (Linux /proc; clock ticks of 100 Hz); with
 * `mainThread`, of its JavaScript thread alone (the rest is GC helpers, libuv's pool — LevelDB,
 * fsync — and libp2p's crypto offload).
 */
function cpuSeconds(p: ChildProcess, mainThread = false): number {
  try {
    const stat = readFileSync(
      mainThread ? `/proc/${p.pid}/task/${p.pid}/stat` : `/proc/${p.pid}/stat`,
      'utf8'
    );
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function pool<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    })
  );
}
