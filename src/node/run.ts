/**
 * One hospital node, assembled: storage, both chain drivers (hospital chain as validator or follower;
 * consortium as authority or follower), the libp2p host and protocol services, the mirror store on
 * mirrors, the index extractor on the hospital's authority, and the HTTP endpoint. `runNode` returns
 * once everything listens; `stop()` shuts down in the reverse order, after in-flight commits settle.
 */
import './polyfills.js';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { genesisHeader } from '../lib/core/chain/genesis.js';
import { CONSORTIUM_CHAIN_ID, hospitalChainId } from '../lib/core/chain/header.js';
import { checkpointOf } from '../lib/core/chain/rules/index-batch.js';
import { CHAIN_LIMITS } from '../lib/core/constants.js';
import { setEd25519Backend, setSha256Backend, sha256 } from '../lib/core/crypto/index.js';
import { nodeSha256 } from '../lib/core/crypto/hash.node.js';
import { createGuard, DEFAULT_RATE_LIMITS } from '../lib/net/rate-limit.js';
import type { NodeConfig } from './config.js';
import { ChainDriver } from './driver/chain-driver.js';
import { readGenesisFile } from './genesis-file.js';
import { ChainHistory } from './history.js';
import { startHttp } from './http.js';
import { Indexer, extractEntries } from './indexer.js';
import { loadNodeKey, nodeEncryptionKeys } from './keys.js';
import { account } from '../lib/core/chain/rules/lookup.js';
import { bytesEqual } from '../lib/core/encoding/cbor.js';
import type { Logger } from './log.js';
import type { MetricFamily } from './metrics.js';
import { startMemoryGuard } from './memory-guard.js';
import { Mirror, type MirrorClient } from './mirror/mirror.js';
import { createNodeHost } from './p2p/host.js';
import { cachingBackend } from './verify-cache.js';
import { sodiumEd25519 } from './crypto/ed25519-sodium.js';
import {
  authorityJoinToSubmit,
  HEADER_VIEW_HEIGHTS,
  HeaderView,
  hospitalGenesisWhenAdded,
  syncToPropose
} from './follow.js';
import { authorityJoinCodec } from '../lib/core/chain/tx/authority-join.js';
import { syncValidatorsCodec } from '../lib/core/chain/tx/sync-validators.js';
import { registerServices } from './services.js';
import { NodeStorage } from './storage/index.js';
import { libp2pTransport } from './transport.js';
import { requestMirror } from '../lib/net/mirror.js';
import { requestTxSubmit } from '../lib/net/tx-submit.js';
import { TAGS } from '../lib/core/constants.js';
import type { CoreError } from '../lib/core/errors.js';
import { attestationCodec } from '../lib/core/chain/tx/attestation.js';
import { blockCodec } from '../lib/core/chain/block.js';

/**
 * Most records per proposed hospital block: one block's records must fit one consortium index batch.
 * Under that cap the driver sizes each proposal to what this host builds within a quarter of the
 * propose timeout (chain-driver.ts), so a busy host proposes smaller blocks rather than missing rounds.
 */
const HOSPITAL_BLOCK_TXS = CHAIN_LIMITS.maxIndexEntries;

/** An added hospital's authority offers its authority-join again this often until it votes. */
const JOIN_RETRY_MS = 5_000;

/** Mirrors re-check committed records against their disk this often (and once at start). */
const REPAIR_INTERVAL_MS = 30_000;

/**
 * Below this much free disk the node warns in its log (every DISK_CHECK_MS) and says so in /health.
 * A record costs a node about 2 KB of chain data (`npm run bench -- node`), so this is some 250,000
 * records of warning, fewer on a mirror that also keeps the records' blobs: time to act before the
 * disk fills and the node has to stop.
 */
export const LOW_DISK_BYTES = 512 * 1024 * 1024;
const DISK_CHECK_MS = 30_000;
const MIB = 1024 * 1024;

export interface RunningNode {
  config: NodeConfig;
  peerId: string;
  httpUrl: string | undefined;
  hospital: ChainDriver;
  consortium: ChainDriver;
  storage: NodeStorage;
  multiaddrs(): string[];
  /**
   * Settles with the storage failure (disk full, I/O error) that stopped a chain, if one ever does:
   * the process should then stop, and started again it resumes from what is durable.
   */
  failed: Promise<CoreError>;
  stop(): Promise<void>;
}

const peerIdOf = (ma: string): string | undefined =>
  multiaddr(ma)
    .getComponents()
    .findLast((c) => c.name === 'p2p')?.value;

export async function runNode(config: NodeConfig, log: Logger): Promise<RunningNode> {
  // Start-up phases, ms since the process began (module loading included): a restarted node must be
  // back within seconds, so the log says where its start went.
  const phases: Record<string, number> = { modules: Math.round(performance.now()) };
  const phase = (name: string) => (phases[name] = Math.round(performance.now()));
  setEd25519Backend(cachingBackend(sodiumEd25519));
  setSha256Backend(nodeSha256);
  const key = loadNodeKey(config.keys.node);
  const authority =
    config.consortiumAuthority && config.keys.authority ? loadNodeKey(config.keys.authority) : null;
  const { doc: consortiumDoc, file: genesisFile } = readGenesisFile(config.genesis.consortium);
  const storage = await NodeStorage.open(join(config.dataDir, 'db'), sha256);
  phase('storage');
  const host = await createNodeHost({
    dataDir: config.keys.libp2p,
    listen: config.listen,
    peers: [...config.peers.hospital, ...config.peers.consortium],
    allowPrivateAddresses: config.allowPrivateAddresses,
    limits: {
      maxConnections: config.limits.maxConnections,
      rate: {
        ...DEFAULT_RATE_LIMITS,
        requests: {
          ratePerSec: config.limits.readsPerPeerPerSecond,
          burst: 2 * config.limits.readsPerPeerPerSecond
        }
      }
    },
    onBan: (ip, peer) => log.warn('banned an address for flooding', { ip, peer })
  });
  const peerId = host.peerId.toString();
  phase('libp2p');
  log = log.child({ peer: peerId.slice(-8) });
  const memory = startMemoryGuard(config.limits.maxMemoryMb * MIB, log);
  const mempool = {
    maxTxs: config.limits.mempoolSize,
    maxBytes: config.limits.mempoolSize * 16 * 1024,
    txPerPeerPerSecond: config.limits.txPerPeerPerSecond,
    overloaded: memory.overloaded
  };
  const timeouts = config.timeouts;
  const hChainId = hospitalChainId(config.hospital);

  let onFatal: (e: CoreError) => void = () => {};
  const failed = new Promise<CoreError>((r) => (onFatal = r));
  const headers = new HeaderView(config.hospital);
  const consortium: ChainDriver = new ChainDriver({
    name: 'consortium',
    chainId: CONSORTIUM_CHAIN_ID,
    genesis: genesisHeader(consortiumDoc),
    // Index batches of this hospital are checked against the hospital headers this node verified.
    params: () => ({
      chainId: CONSORTIUM_CHAIN_ID,
      config: { kind: 'consortium', hospitalHeaders: headers.lookup }
    }),
    stores: storage.chains.consortium,
    db: storage.db,
    signer: authority,
    transport: libp2pTransport(host.libp2p, CONSORTIUM_CHAIN_ID, config.peers.consortium, log),
    mempool,
    timeouts,
    log,
    onFatal
  });
  const hospitalPeerIds = new Set(config.peers.hospital.map(peerIdOf).filter((p): p is string => !!p));
  const consortiumPeerIds = new Set(config.peers.consortium.map(peerIdOf).filter((p): p is string => !!p));
  const mirror = config.roles.includes('mirror')
    ? new Mirror(config.hospital, key, storage.blobs, {
        disk: { freeBytes: () => storage.freeBytes(), reserveBytes: config.limits.mirrorReserveMb * MIB }
      })
    : null;
  let reads = 0;

  // Consortium first: hospital-chain rules read the consortium state it follows, and a hospital added
  // after genesis has a chain only once its entry is there.
  await consortium.start();
  phase('consortiumReplay');
  const hospitalDoc = await hospitalGenesisWhenAdded(consortiumDoc, config.hospital, consortium, log);
  const hospital: ChainDriver = new ChainDriver({
    name: 'hospital',
    chainId: hChainId,
    genesis: genesisHeader(hospitalDoc),
    params: () => ({
      chainId: hChainId,
      config: {
        kind: 'hospital',
        hospitalId: config.hospital,
        consortium: consortium.state,
        consortiumHeight: consortium.height
      }
    }),
    stores: storage.chains.hospital,
    db: storage.db,
    signer: config.roles.includes('validator') ? key : null,
    // A hospital added after genesis starts with its authority as the only validator.
    ...(authority && hospitalDoc.validators.some((x) => bytesEqual(x.key, authority.publicKey))
      ? { altSigner: authority }
      : {}),
    transport: libp2pTransport(host.libp2p, hChainId, config.peers.hospital, log),
    mempool,
    timeouts,
    // One block's records must fit one consortium index batch (checkpoints advance per batch).
    maxBlockTxs: HOSPITAL_BLOCK_TXS,
    log,
    onFatal
  });

  await hospital.start();
  phase('hospitalReplay');
  const histories = {
    hospital: new ChainHistory(hospital, storage.chains.hospital.blocks),
    consortium: new ChainHistory(consortium, storage.chains.consortium.blocks)
  };
  await histories.consortium.start();
  await histories.hospital.start();
  phase('histories');

  // The header view starts from the stored chain (replay tells no listener), then follows commits.
  const hospitalBlocks = storage.chains.hospital.blocks;
  for (
    let h = Math.max(hospitalBlocks.base, hospital.height - HEADER_VIEW_HEIGHTS + 1);
    h <= hospital.height;
    h++
  ) {
    const e = await hospitalBlocks.get(h);
    if (e) headers.note(h, e.hash);
  }
  hospital.onCommit(({ height, hash }) => headers.note(height, hash));

  // Validators put the consortium's set for this hospital in their mempool when it changes, if every
  // member it adds runs a validator (follow.ts); the mempool's admission re-checks it against the
  // consortium state, and a duplicate from another validator is refused as such.
  if (hospital.isValidator) {
    const running = new Set(config.validatorKeys);
    const proposeSync = () => {
      const tx = syncToPropose(consortium.state, hospital.state, config.hospital, consortium.height, running);
      if (!tx) return;
      try {
        hospital.submit(syncValidatorsCodec.encode(tx), 'validator-sync');
        log.info('proposing validator set from the consortium', {
          consortiumHeight: tx.consortiumHeight,
          validators: tx.set.validators.length
        });
      } catch (e) {
        log.debug('validator sync not admitted', { error: (e as Error).message });
      }
    };
    consortium.onCommit(proposeSync);
    proposeSync();
  }

  // A hospital added after genesis takes up its consortium vote now that its authority node runs. The
  // join goes straight to the other authorities (this node proposes no consortium block before it
  // votes), again every JOIN_RETRY_MS until the committed set holds this authority.
  let joinTimer: ReturnType<typeof setInterval> | undefined;
  if (authority) {
    let joining = false;
    const join = async () => {
      const tx = authorityJoinToSubmit(consortium.state, config.hospital, authority);
      if (!tx) return clearInterval(joinTimer);
      if (joining) return;
      joining = true;
      const bytes = authorityJoinCodec.encode(tx);
      try {
        for (const peer of config.peers.consortium) {
          const r = await requestTxSubmit(host.libp2p, multiaddr(peer), {
            t: TAGS.netTxSubmit,
            v: 1,
            chainId: CONSORTIUM_CHAIN_ID,
            tx: bytes as never
          }).catch((e: unknown) => ({ accepted: false as const, code: (e as Error).message }));
          if (r.accepted) {
            log.info('taking up this hospital’s vote on the consortium', { hospital: config.hospital });
            return;
          }
          log.debug('authority join not taken', { peer, code: r.code });
        }
      } finally {
        joining = false;
      }
    };
    joinTimer = setInterval(() => void join(), JOIN_RETRY_MS);
    void join();
  }

  await registerServices(host.libp2p, {
    hospital: config.hospital,
    peerId,
    key,
    chains: new Map([
      [hChainId, { driver: hospital, history: histories.hospital, peerIds: hospitalPeerIds }],
      [CONSORTIUM_CHAIN_ID, { driver: consortium, history: histories.consortium, peerIds: consortiumPeerIds }]
    ]),
    hospitalDriver: hospital,
    consortiumDriver: consortium,
    db: storage.db,
    mirror,
    hospitalPeerIds,
    ...(authority ? { authorityEncryptionSecret: nodeEncryptionKeys(authority).secret } : {}),
    guards: {
      clients: host.guard,
      peers: createGuard(
        {
          requests: { ratePerSec: 50_000, burst: 100_000 },
          bytes: { ratePerSec: 256 * 1024 * 1024, burst: 512 * 1024 * 1024 },
          maxPeers: 4096
        },
        { perPeer: 256, perProtocol: 1024 }
      )
    },
    log,
    penalize: (peer) => host.penalize(peer),
    onRead: () => reads++
  });

  phase('services');
  let indexer: Indexer | null = null;
  if (authority) {
    indexer = new Indexer({
      hospital: config.hospital,
      key: authority,
      intervalMs: config.indexIntervalMs,
      checkpointHeight: () => checkpointOf(consortium.state, config.hospital)?.height ?? 0,
      hospitalHeight: () => hospital.height,
      hospitalBlock: async (h) => {
        const e = await storage.chains.hospital.blocks.get(h);
        return e ? { block: blockCodec.decode(e.block), hash: e.hash } : undefined;
      },
      submit: (tx) => consortium.submitAndWait(tx, 'indexer', 30_000),
      log: log.child({ part: 'indexer' })
    });
    hospital.onCommit(() => indexer!.poke());
    indexer.start();
    // Records are sealed for break-glass to the registered key; a different one here releases nothing.
    const registered = account(consortium.state, authority.publicKey)?.encryptionKey;
    if (registered && !bytesEqual(registered, nodeEncryptionKeys(authority).publicKey))
      log.warn('the authority key file does not match the registered authority encryption key', {
        detail: 'break-glass reads of this hospital’s records will be refused'
      });
  }

  let repairTimer: ReturnType<typeof setInterval> | undefined;
  if (mirror) {
    const others: MirrorClient[] = config.peers.hospital.map((p) => ({
      id: p,
      store: async (blob) => {
        const r = await requestMirror(host.libp2p, multiaddr(p), {
          t: TAGS.netMirrorRequest,
          v: 1,
          op: 'store',
          hash: sha256(blob) as never,
          blob: blob as never
        });
        if (r.op !== 'attestation') throw new Error('unexpected answer');
        return attestationCodec.decode(r.attestation);
      },
      fetch: async (hash) => {
        const r = await requestMirror(host.libp2p, multiaddr(p), {
          t: TAGS.netMirrorRequest,
          v: 1,
          op: 'fetch',
          hash: hash as never
        });
        return r.op === 'blob' ? r.blob : undefined;
      }
    }));
    let missing: Uint8Array[] = [];
    let scanned = 0;
    const pass = async () => {
      const fresh: Uint8Array[] = [...missing];
      const head = hospital.height;
      for (let h = scanned + 1; h <= head; h++) {
        const e = await storage.chains.hospital.blocks.get(h);
        if (!e) break;
        for (const x of extractEntries(config.hospital, blockCodec.decode(e.block)))
          fresh.push(x.entry.mhrHash);
        scanned = h;
      }
      const r = await mirror.repair(fresh, others, log.child({ part: 'mirror' }));
      missing = r.missing;
    };
    // One pass at a time; a request during a pass runs one more after it.
    let running = false;
    let again = false;
    const repair = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      void pass()
        .catch((e) => log.warn('mirror repair failed', { error: (e as Error).message }))
        .finally(() => {
          running = false;
          if (again) {
            again = false;
            repair();
          }
        });
    };
    repair();
    repairTimer = setInterval(repair, REPAIR_INTERVAL_MS);
    // Blocks that arrive by block sync were committed while this mirror was away: their blobs are
    // fetched as soon as they arrive, not at the next timed pass.
    let synced = hospital.syncedBlocks;
    hospital.onCommit(() => {
      if (hospital.syncedBlocks === synced) return;
      synced = hospital.syncedBlocks;
      repair();
    });
  }

  const checkDisk = () => {
    const free = storage.freeBytes();
    if (free < LOW_DISK_BYTES)
      log.warn('disk space low: free some before the disk fills, or the node will have to stop', {
        freeBytes: free,
        dir: storage.db.dir
      });
    const full = mirror?.overReserve(0);
    if (full) log.warn('mirror below its disk reserve: taking no new blobs until space is freed', full.data);
  };
  checkDisk();
  const diskTimer = setInterval(checkDisk, DISK_CHECK_MS);
  diskTimer.unref();

  const chainHealth = (d: ChainDriver) => ({
    chainId: d.chainId,
    height: d.height,
    hash: Buffer.from(d.headHash).toString('hex'),
    validator: d.isValidator,
    voting: d.isVoting,
    mempool: d.mempool.size,
    lastCommitAt: d.lastCommitAt || null,
    commitLatencyMsP50: Number.isNaN(d.commitLatency.percentile(50)) ? null : d.commitLatency.percentile(50)
  });
  const metrics = (): MetricFamily[] => {
    const chains = [
      ['hospital', hospital],
      ['consortium', consortium]
    ] as const;
    return [
      {
        name: 'carechain_chain_height',
        help: 'Committed height of each chain.',
        type: 'gauge',
        samples: chains.map(([c, d]) => ({ labels: { chain: c }, value: d.height }))
      },
      {
        name: 'carechain_mempool_txs',
        help: 'Pending transactions.',
        type: 'gauge',
        samples: chains.map(([c, d]) => ({ labels: { chain: c }, value: d.mempool.size }))
      },
      {
        name: 'carechain_blocks_synced_total',
        help: 'Blocks applied from block-sync rather than consensus.',
        type: 'counter',
        samples: chains.map(([c, d]) => ({ labels: { chain: c }, value: d.syncedBlocks }))
      },
      {
        name: 'carechain_commit_latency_ms',
        help: 'Submit-to-durable-commit latency of transactions submitted to this node.',
        type: 'histogram',
        histograms: chains.map(([c, d]) => ({ labels: { chain: c }, h: d.commitLatency }))
      },
      {
        name: 'carechain_peers',
        help: 'Open libp2p connections.',
        type: 'gauge',
        samples: [{ value: host.libp2p.getConnections().length }]
      },
      {
        name: 'carechain_storage_bytes',
        help: 'LevelDB bytes on disk.',
        type: 'gauge',
        samples: [{ value: storage.diskBytes() }]
      },
      {
        name: 'carechain_disk_free_bytes',
        help: 'Free bytes on the filesystem holding the node data.',
        type: 'gauge',
        samples: [{ value: storage.freeBytes() }]
      },
      {
        name: 'carechain_heap_used_bytes',
        help: 'V8 heap in use; above limits.maxMemoryMb the node refuses new transactions.',
        type: 'gauge',
        samples: [{ value: memory.heapUsed() }]
      },
      {
        name: 'carechain_blobs',
        help: 'Record blobs held (mirrors).',
        type: 'gauge',
        samples: [{ value: storage.blobs.count }]
      },
      {
        name: 'carechain_blob_reads_total',
        help: 'Blob reads served.',
        type: 'counter',
        samples: [{ value: reads }]
      }
    ];
  };

  let http: Awaited<ReturnType<typeof startHttp>> | undefined;
  if (config.listen.http !== undefined) {
    http = await startHttp(
      {
        health: () => {
          const diskFreeBytes = storage.freeBytes();
          return {
            ok: true,
            hospital: config.hospital,
            name: config.name,
            roles: config.roles,
            consortiumAuthority: config.consortiumAuthority,
            peerId,
            peers: host.libp2p.getConnections().length,
            chains: { hospital: chainHealth(hospital), consortium: chainHealth(consortium) },
            blobs: storage.blobs.count,
            storageBytes: storage.diskBytes(),
            diskFreeBytes,
            diskLow: diskFreeBytes < LOW_DISK_BYTES,
            heapUsedBytes: memory.heapUsed(),
            memoryHigh: memory.overloaded(),
            ...(mirror ? { mirrorFull: mirror.overReserve(0) !== undefined } : {})
          };
        },
        metrics,
        addrs: () => host.multiaddrs(),
        genesis: () => genesisFile
      },
      { host: config.listen.host, port: config.listen.http, staticDir: config.staticDir }
    );
  }
  phase('http');
  log.info('node started', {
    startMs: phases,
    hospital: config.hospital,
    roles: config.roles,
    heights: { hospital: hospital.height, consortium: consortium.height },
    http: http?.url,
    addrs: host.multiaddrs()
  });

  return {
    config,
    peerId,
    httpUrl: http?.url,
    hospital,
    consortium,
    storage,
    multiaddrs: () => host.multiaddrs(),
    failed,
    async stop() {
      clearInterval(diskTimer);
      memory.stop();
      if (repairTimer) clearInterval(repairTimer);
      clearInterval(joinTimer);
      indexer?.stop();
      if (http) await new Promise<void>((r) => http!.server.close(() => r()));
      await hospital.stop();
      await consortium.stop();
      await host.stop();
      await storage.close();
      log.info('node stopped');
    }
  };
}
