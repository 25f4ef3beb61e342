/**
 * The resilience suite's network: real node processes (the same CLI a hospital runs), real LevelDB
 * under a temp dir, real libp2p on 127.0.0.1, and a bare libp2p client acting for patients and
 * doctors through `src/node/devnet/actors.ts` (the transactions the app sends). Reuses the devnet
 * layout and process helpers the integration test uses; adds what the faults need: kill/restart,
 * per-node heights, every node's block hashes over block-sync, and a record writer that times
 * submit-to-acknowledged-commit.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { multiaddr } from '@multiformats/multiaddr';
import { blockCodec, blockId, type Block } from '../../src/lib/core/chain/block.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../../src/lib/core/chain/header.js';
import { NS } from '../../src/lib/core/chain/store.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { commitCertificateCodec } from '../../src/lib/core/consensus/types.js';
import { fromHex, seededRng, toHex, utf8Bytes, type Rng } from '../../src/lib/core/crypto/index.js';
import { bytesEqual, decodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import { appendRecordCodec } from '../../src/lib/core/chain/tx/append-record.js';
import { stateKey } from '../../src/lib/core/state/smt.js';
import { requestBlockSync, MAX_SYNC_BLOCKS } from '../../src/lib/net/block-sync.js';
import { requestStateProof } from '../../src/lib/net/state-proof.js';
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
  submitOk,
  type Account,
  type GrantBundle
} from '../../src/node/devnet/actors.js';
import { createLayout, type DevnetLayout, type DevnetNode } from '../../src/node/devnet/layout.js';
import { freePortBlock } from '../../src/node/devnet/ports.js';
import { health, killHard, spawnNode, stopProcess, waitFor } from '../../src/node/devnet/process.js';

export { health, waitFor, CONSORTIUM_CHAIN_ID, hospitalChainId };

/**
 * Fast consensus timeouts, as the integration test uses: a round with a dead proposer costs ~1 s,
 * which is what "outside fault windows, commits within 2 s" is measured against.
 */
export const FAST_TIMEOUTS = { proposeMs: 1000, prevoteMs: 400, precommitMs: 400, roundDeltaMs: 200 };

export interface NetOptions {
  /** Names the temp dir and seeds the keys, so a failing run can be repeated. */
  name: string;
  hospitals?: number;
  nodesPerHospital?: number;
  mirrors?: number;
  /** Extra environment for every node process (e.g. CARECHAIN_LOG=debug). */
  env?: Record<string, string>;
  /** Nodes not to start (a Byzantine process takes their place). */
  skip?: (n: DevnetNode) => boolean;
  /** Called after the layout is written and before any node starts (rewrite configs, add proxies). */
  prepare?: (layout: DevnetLayout) => void | Promise<void>;
}

export interface ChainHead {
  height: number;
  hash: string;
}

export class Net {
  readonly procs = new Map<DevnetNode, ChildProcess>();
  client!: Libp2p;
  layout!: DevnetLayout;
  readonly rng: Rng;
  /** Exits nobody asked for (a crash), with the node and its code/signal. */
  readonly crashes: { node: string; code: number | null; signal: string | null }[] = [];
  private readonly expectedExit = new Set<ChildProcess>();

  private constructor(
    readonly dir: string,
    readonly o: NetOptions
  ) {
    // Not the layout seed: that one made the managers, and an actor must not share their keys.
    this.rng = seededRng(utf8Bytes(`resilience-actors/${o.name}`));
  }

  static async start(o: NetOptions): Promise<Net> {
    const net = new Net(mkdtempSync(join(tmpdir(), `cc-res-${o.name}-`)), o);
    const nodes = (o.hospitals ?? 1) * (o.nodesPerHospital ?? 4);
    net.layout = await createLayout(net.dir, {
      hospitals: o.hospitals ?? 1,
      nodesPerHospital: o.nodesPerHospital ?? 4,
      basePort: await freePortBlock(nodes * 4, 20000, 32000),
      timeouts: FAST_TIMEOUTS,
      indexIntervalMs: 300,
      // Three mirrors: records still get their 2 attestations while any one node is down.
      mirrors: o.mirrors ?? 3,
      seed: `resilience/${o.name}`
    });
    await o.prepare?.(net.layout);
    const run = net.all.filter((n) => !o.skip?.(n));
    for (const n of run) net.start(n);
    for (const n of run)
      await waitFor(
        n.name,
        async () => {
          if (!net.alive(n))
            throw new Error(
              `${n.name} exited while starting: ${net
                .logSince(n, 0)
                .slice(-3)
                .map((l) => JSON.stringify(l))
                .join(' ')}`
            );
          return health(n.httpUrl);
        },
        120_000
      );
    net.client = await createClient();
    return net;
  }

  get all(): DevnetNode[] {
    return this.layout.hospitals.flatMap((h) => h.nodes);
  }

  /** The first hospital's nodes: the chain the scenarios load and break. */
  get h1(): DevnetNode[] {
    return this.layout.hospitals[0]!.nodes;
  }

  logFile(n: DevnetNode): string {
    return join(n.dir, 'node.log');
  }

  dataDir(n: DevnetNode): string {
    return join(n.dir, 'data', 'db');
  }

  start(n: DevnetNode): ChildProcess {
    const p = spawnNode(n.configFile, this.logFile(n), this.o.env ?? {});
    p.once('exit', (code, signal) => {
      if (!this.expectedExit.delete(p)) this.crashes.push({ node: `${n.hospital}/${n.name}`, code, signal });
    });
    this.procs.set(n, p);
    return p;
  }

  /** Drop recorded exits of a node whose exit the scenario allows (e.g. a refusal to start). */
  forgetExits(n: DevnetNode): void {
    const name = `${n.hospital}/${n.name}`;
    for (let i = this.crashes.length - 1; i >= 0; i--)
      if (this.crashes[i]!.node === name) this.crashes.splice(i, 1);
  }

  alive(n: DevnetNode): boolean {
    const p = this.procs.get(n);
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  async kill(n: DevnetNode): Promise<void> {
    const p = this.procs.get(n);
    if (!p) return;
    this.expectedExit.add(p);
    await killHard(p);
  }

  async stop(n: DevnetNode): Promise<void> {
    const p = this.procs.get(n);
    if (!p) return;
    this.expectedExit.add(p);
    await stopProcess(p);
  }

  async waitHealthy(n: DevnetNode, ms = 60_000): Promise<void> {
    await waitFor(`${n.name} healthy`, () => health(n.httpUrl), ms);
  }

  async heads(n: DevnetNode): Promise<{ hospital: ChainHead; consortium: ChainHead } | undefined> {
    const h = (await health(n.httpUrl)) as
      { chains: { hospital: ChainHead; consortium: ChainHead } } | undefined;
    return h?.chains;
  }

  /** Resident memory of a node process in MiB (from /proc), or undefined if it is not running. */
  rssMb(n: DevnetNode): number | undefined {
    const p = this.procs.get(n);
    if (!p?.pid || !this.alive(n)) return undefined;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** CPU seconds (user + system) a node process has used so far, or undefined if it is not running. */
  cpuSeconds(n: DevnetNode): number | undefined {
    const p = this.procs.get(n);
    return p?.pid && this.alive(n) ? cpuSecondsOf(p.pid) : undefined;
  }

  logSize(n: DevnetNode): number {
    try {
      return statSync(this.logFile(n)).size;
    } catch {
      return 0;
    }
  }

  /** The node's log from byte `from` on, as parsed JSON lines (non-JSON lines kept as {raw}). */
  logSince(n: DevnetNode, from: number): Record<string, unknown>[] {
    const text = readFileSync(this.logFile(n)).subarray(from).toString('utf8');
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
  }

  /**
   * Every block `from..to` a node serves over block-sync, each checked the way a peer would: the
   * served height, the id recomputed from the bytes, the certificate naming that id, and the parent
   * link to the block before. Returns height → id (hex); throws on the first block that fails.
   */
  async blockIds(n: DevnetNode, chainId: string, from: number, to: number): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const b of await this.blocks(n, chainId, from, to)) out.set(b.header.height, toHex(blockId(b)));
    return out;
  }

  /** The blocks behind `blockIds`, decoded, with the same checks. */
  async blocks(n: DevnetNode, chainId: string, from: number, to: number): Promise<Block[]> {
    const out: Block[] = [];
    let prev: Uint8Array | undefined;
    for (let h = from; h <= to;) {
      const got = await requestBlockSync(this.client, multiaddr(n.addr), {
        t: TAGS.netSyncRequest,
        v: 1,
        chainId,
        from: h,
        count: Math.min(MAX_SYNC_BLOCKS, to - h + 1)
      });
      if (got.length === 0) break;
      for (const sb of got) {
        const block = blockCodec.decode(sb.block);
        const id = blockId(block);
        const cert = commitCertificateCodec.decode(sb.commit);
        if (block.header.height !== sb.height)
          throw new Error(`${n.name} served height ${sb.height} holding block ${block.header.height}`);
        if (!bytesEqual(cert.blockId, id) || cert.height !== sb.height)
          throw new Error(`${n.name} served block ${sb.height} whose certificate names another block`);
        if (prev && !bytesEqual(block.header.parent, prev))
          throw new Error(`${n.name} served block ${sb.height} whose parent is not block ${sb.height - 1}`);
        prev = id;
        out.push(block);
      }
      h += got.length;
    }
    return out;
  }

  /**
   * Record ids (mhrHash, hex) committed in the node's blocks 1..head, read over block-sync (each block
   * checked as in `blocks`). Block-sync is the validators' protocol, not rate-limited like client
   * reads, so a whole chain can be checked in one go.
   */
  async committedRecords(n: DevnetNode, hospital: string): Promise<Set<string>> {
    const head = (await this.heads(n))!.hospital.height;
    const out = new Set<string>();
    for (const b of await this.blocks(n, hospitalChainId(hospital), 1, head))
      for (const tx of b.txs) {
        if ((decodeCanonical(tx) as { t?: unknown }).t !== TAGS.txAppendRecord) continue;
        out.add(toHex(appendRecordCodec.decode(tx).mhrHash));
      }
    return out;
  }

  /** Is this record committed in the node's state (a proof-carrying state read)? */
  async hasRecord(n: DevnetNode, hospital: string, mhrHash: Uint8Array): Promise<boolean> {
    const s = await requestStateProof(this.client, multiaddr(n.addr), {
      t: TAGS.netStateRequest,
      v: 1,
      chainId: hospitalChainId(hospital),
      key: stateKey(NS.record, mhrHash) as never,
      height: null
    });
    return s.value !== null;
  }

  async close(): Promise<void> {
    await Promise.resolve(this.client?.stop()).catch(() => {});
    await Promise.all(
      [...this.procs.values()].map((p) => {
        this.expectedExit.add(p);
        return stopProcess(p, 5000);
      })
    );
    if (!process.env.CARECHAIN_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Actors {
  managers: Account[];
  patient: Account;
  writer: Account;
  grant: GrantBundle;
  category: string;
}

/** A patient and an H1 consultant registered by the managers, with a read+write grant for one category. */
export async function setupActors(net: Net, extraDoctors: Account[] = []): Promise<Actors> {
  const rng = net.rng;
  const managers = net.layout.managers.map((m) => account(m.name, fromHex(m.seed)));
  const patient = account('Patient', rng(32));
  const writer = account('Dr Writer (H1)', rng(32));
  const category = 'IV';
  const authority = net.h1[0]!;
  const regs = [
    registerTx(patient, patientFields(rng), managers),
    registerTx(writer, doctorFields(writer.name, 'H1', 'consultant'), managers),
    ...extraDoctors.map((d) => registerTx(d, doctorFields(d.name, 'H1', 'consultant'), managers))
  ];
  await Promise.all(regs.map((tx) => submitOk(net.client, authority.addr, CONSORTIUM_CHAIN_ID, tx)));
  const now = Date.now();
  const grant = grantTx(
    patient,
    writer,
    { categories: [category], read: true, write: true },
    { seq: 1, notBefore: now - 60_000, expiry: now + 6 * 3_600_000, rng }
  );
  await submitOk(net.client, authority.addr, CONSORTIUM_CHAIN_ID, grant.tx);
  await followConsortium(net);
  return { managers, patient, writer, grant, category };
}

/** Wait until every running node of H1 has reached the authority's consortium height. */
export async function followConsortium(net: Net, ms = 30_000): Promise<void> {
  const target = (await net.heads(net.h1[0]!))!.consortium.height;
  await waitFor(
    'H1 follows the consortium',
    async () => {
      for (const n of net.h1.filter((x) => net.alive(x)))
        if (((await net.heads(n))?.consortium.height ?? -1) < target) return false;
      return true;
    },
    ms
  );
}

export interface RecordResult {
  mhrHash: Uint8Array;
  /** The record's (stand-in) encrypted blob, as stored on the mirrors. */
  blob: Uint8Array;
  /** Acknowledged: the node answered accepted, i.e. durably committed. */
  acked: boolean;
  /** Submit-to-acknowledgement, ms (only when acked). */
  latencyMs: number;
  startedAt: number;
  endedAt: number;
  error?: string;
  via: string;
}

/** One record end to end: blob to the mirrors (2 of them), then the record tx to `via`; times the submit. */
export async function writeRecord(
  net: Net,
  a: Actors,
  via: DevnetNode,
  size = 600,
  mirrors: DevnetNode[] = net.h1.filter((n) => n.roles.includes('mirror'))
): Promise<RecordResult> {
  const blob = net.rng(size);
  const startedAt = Date.now();
  let mhrHash: Uint8Array = new Uint8Array(32);
  try {
    const atts = await storeOnMirrors(
      net.client,
      mirrors.map((m) => m.addr),
      blob
    );
    const r = recordTx(a.writer, a.patient, 'H1', a.category, a.grant, blob, atts);
    mhrHash = r.mhrHash;
    const t0 = Date.now();
    const res = await submit(net.client, via.addr, hospitalChainId('H1'), r.tx);
    const t1 = Date.now();
    if (!res.accepted)
      return {
        mhrHash,
        blob,
        acked: false,
        latencyMs: t1 - t0,
        startedAt: t0,
        endedAt: t1,
        error: res.code,
        via: via.name
      };
    return { mhrHash, blob, acked: true, latencyMs: t1 - t0, startedAt: t0, endedAt: t1, via: via.name };
  } catch (e) {
    return {
      mhrHash,
      blob,
      acked: false,
      latencyMs: 0,
      startedAt,
      endedAt: Date.now(),
      error: (e as Error).message,
      via: via.name
    };
  }
}

/** CPU seconds (user + system) process `pid` has used, from /proc (clock ticks of 10 ms on Linux). */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Every running node agrees on every height both hold: block ids compared height by height across
 * nodes (as CometBFT's e2e tests do). Returns the number of heights compared and any disagreements.
 */
export async function compareChains(
  net: Net,
  nodes: DevnetNode[],
  chainId: string
): Promise<{ heights: number; forks: { height: number; ids: Record<string, string> }[] }> {
  const maps = new Map<string, Map<number, string>>();
  for (const n of nodes) {
    const head = (await net.heads(n))!;
    const h = chainId === CONSORTIUM_CHAIN_ID ? head.consortium.height : head.hospital.height;
    maps.set(n.name, await net.blockIds(n, chainId, 1, h));
  }
  const top = Math.max(0, ...[...maps.values()].map((m) => m.size));
  const forks: { height: number; ids: Record<string, string> }[] = [];
  for (let h = 1; h <= top; h++) {
    const ids: Record<string, string> = {};
    for (const [name, m] of maps) if (m.has(h)) ids[name] = m.get(h)!;
    if (new Set(Object.values(ids)).size > 1) forks.push({ height: h, ids });
  }
  return { heights: top, forks };
}

/**
 * A bounded, steady stream of records for `ms`: one every `everyMs`, to the running nodes in turn, at
 * most `maxInFlight` pending (a slot that finds that many is skipped). Resolves when all have settled.
 */
export async function steadyLoad(
  net: Net,
  a: Actors,
  ms: number,
  everyMs = 500,
  maxInFlight = 8
): Promise<{ results: RecordResult[]; skipped: number }> {
  const results: RecordResult[] = [];
  const pending = new Set<Promise<void>>();
  const end = Date.now() + ms;
  let skipped = 0;
  let i = 0;
  while (Date.now() < end) {
    const tick = Date.now();
    if (pending.size >= maxInFlight) skipped++;
    else {
      const up = net.h1.filter((n) => net.alive(n));
      const p: Promise<void> = writeRecord(net, a, up[i++ % up.length]!).then((r) => {
        results.push(r);
        pending.delete(p);
      });
      pending.add(p);
    }
    await sleep(Math.max(0, everyMs - (Date.now() - tick)));
  }
  await Promise.all(pending);
  return { results, skipped };
}
