/**
 * The node's answers to the libp2p protocols (src/lib/net): each protocol file parses and bounds the
 * bytes; here the node decides. Two guards: `clients` (phones and browsers: the host's default,
 * strict per-peer rates) for reads, and `peers` (generous) for validator/mirror traffic whose volume
 * grows with load — their admission limits live in the mempool and the engine instead.
 */
import { blockCodec } from '../lib/core/chain/block.js';
import { CONSORTIUM_CHAIN_ID, headerCodec } from '../lib/core/chain/header.js';
import { txHash } from '../lib/core/chain/rules/context.js';
import { account } from '../lib/core/chain/rules/lookup.js';
import { accessLogCodec, createAccessLog } from '../lib/core/chain/tx/access-log.js';
import { attestationCodec } from '../lib/core/chain/tx/attestation.js';
import { fromHex, sha256, systemRng, toHex } from '../lib/core/crypto/index.js';
import { bytesEqual } from '../lib/core/encoding/cbor.js';
import { CoreError, ERROR_CODES, isCoreError } from '../lib/core/errors.js';
import { releaseRecordKey } from '../lib/core/records/envelope.js';
import { proveTx, txProofCodec } from '../lib/core/state/tx-merkle.js';
import { smtProofCodec } from '../lib/core/state/smt.js';
import { handleBlob, type BlobAuth } from '../lib/net/blob.js';
import { handleBlockSync } from '../lib/net/block-sync.js';
import {
  handleConsensusGossip,
  handleConsensusStream,
  type GossipRequest
} from '../lib/net/consensus-gossip.js';
import { handleHeader } from '../lib/net/header.js';
import { handleMirror } from '../lib/net/mirror.js';
import type { NetGuard } from '../lib/net/rate-limit.js';
import type { NetHost, ServeContext } from '../lib/net/rpc.js';
import { handleStateProof } from '../lib/net/state-proof.js';
import { handleRecord } from '../lib/net/record-fetch.js';
import { handleEmergencyList } from '../lib/net/emergency-list.js';
import { handleTxProof } from '../lib/net/tx-proof.js';
import { handleTxSubmit } from '../lib/net/tx-submit.js';
import { handleTxBatch, TX_BATCH_LIMITS, type TxBatchVerdict } from '../lib/net/tx-batch.js';
import type { ChainDriver } from './driver/chain-driver.js';
import type { NodeKey } from './keys.js';
import type { Logger } from './log.js';
import type { Mirror } from './mirror/mirror.js';
import type { ChainHistory } from './history.js';
import { serveMailbox } from './mailbox-service.js';
import type { NodeDb } from './storage/db.js';
import { PatientRecords } from './patient-records.js';
import { createReadAuthority } from './read-auth.js';

/** How long a read waits for its access-log entry to commit before refusing to serve. */
const ACCESS_LOG_TIMEOUT_MS = 15_000;

export interface ServiceDeps {
  hospital: string;
  peerId: string;
  key: NodeKey;
  chains: Map<string, { driver: ChainDriver; history: ChainHistory; peerIds: Set<string> }>;
  hospitalDriver: ChainDriver;
  consortiumDriver: ChainDriver;
  mirror: Mirror | null;
  /** Peer ids of this hospital's nodes (may fetch raw blobs over the mirror protocol, for repair). */
  hospitalPeerIds: Set<string>;
  guards: { clients: NetGuard; peers: NetGuard };
  log: Logger;
  now?: () => number;
  /**
   * The node's database, for the registry mailbox (src/node/mailbox.ts) and the break-glass patient
   * index (patient-records.ts); without it neither is served.
   */
  db?: NodeDb;
  /** Count malformed or abusive traffic against the sender's address (p2p/penalty-box.ts). */
  penalize?: (peer: string) => void;
  /**
   * On the hospital's authority node: the authority encryption secret, which releases a record's data
   * key to an emergency doctor under a committed break-glass (core/records/envelope.ts).
   */
  authorityEncryptionSecret?: Uint8Array;
  /** Every served blob read, for tests and metrics. */
  onRead?: (r: { reader: Uint8Array; record: Uint8Array; bytes: number }) => void;
}

export async function registerServices(host: NetHost, d: ServiceDeps): Promise<void> {
  const now = d.now ?? Date.now;
  // Refusals (consent, account, chain, node …) are security events the operator must see, so they are
  // logged at info; malformed traffic (decode/net) is the fuzz noise a public node lives with: debug.
  const onError = (err: CoreError, info: { peer: string; protocol: string }) => {
    if (!/^(decode|net)\//.test(err.code)) return d.log.info('refused', { code: err.code, ...info });
    d.log.debug('protocol error', { code: err.code, ...info });
    d.penalize?.(info.peer);
  };
  const refusedTx = (code: string, peer: string, chainId: string, tx: Uint8Array) =>
    d.log.info('refused tx', { code, peer, chainId, txHash: toHex(txHash(tx)) });
  const clients = { guard: d.guards.clients, onError };
  const peers = { guard: d.guards.peers, onError };
  const chain = (chainId: string) => {
    const c = d.chains.get(chainId);
    if (!c) throw new CoreError('chain/wrong-chain', { chainId }, 'ignore');
    return c;
  };

  const gossip = {
    onGossip: (req: GossipRequest, ctx: ServeContext) => {
      const c = chain(req.chainId);
      // Relayed transactions come from this chain's configured peers; clients use tx-submit/tx-batch.
      const messages = c.peerIds.has(ctx.peer) ? req.messages : req.messages.filter((m) => m.kind !== 'tx');
      return c.driver.onGossip(messages, ctx.peer);
    }
  };
  await handleConsensusGossip(host, gossip, undefined, peers);
  await handleConsensusStream(host, gossip, undefined, peers);

  await handleBlockSync(
    host,
    {
      async *blocks(req, ctx) {
        yield* chain(req.chainId).driver.blocksFrom(req.from, req.count, req.waitMs, ctx.signal);
      }
    },
    undefined,
    peers
  );

  await handleTxSubmit(
    host,
    {
      async submit(req, ctx) {
        try {
          const c = chain(req.chainId);
          const id = txHash(req.tx);
          if (c.peerIds.has(ctx.peer)) {
            // A relay from a fellow validator: admit, do not relay again, answer at once.
            c.driver.submit(req.tx, ctx.peer, false);
            return { accepted: true, txHash: id };
          }
          await c.driver.submitAndWait(req.tx, ctx.peer, 8_000);
          return { accepted: true, txHash: id };
        } catch (e) {
          const err = isCoreError(e) ? e : new CoreError('chain/bad-tx', { detail: String(e) });
          refusedTx(err.code, ctx.peer, req.chainId, req.tx);
          return { accepted: false, code: err.code, message: ERROR_CODES[err.code] };
        }
      }
    },
    undefined,
    peers
  );

  await handleTxBatch(
    host,
    {
      async submit(req, ctx) {
        const c = chain(req.chainId);
        const verdicts = await c.driver.submitMany(req.txs, ctx.peer, {
          wait: req.wait,
          timeoutMs: TX_BATCH_LIMITS.timeoutMs - 2_000
        });
        return Promise.all(
          verdicts.map(async (r, i): Promise<TxBatchVerdict> => {
            if (!r.ok) {
              refusedTx(r.error.code, ctx.peer, req.chainId, req.txs[i]!);
              return { accepted: false, code: r.error.code };
            }
            const txHash = fromHex(r.id);
            if (!r.done) return { accepted: true, txHash, height: null };
            try {
              return { accepted: true, txHash, height: (await r.done).height };
            } catch (e) {
              const code = isCoreError(e) ? e.code : 'node/timeout';
              refusedTx(code, ctx.peer, req.chainId, req.txs[i]!);
              return { accepted: false, code };
            }
          })
        );
      }
    },
    undefined,
    peers
  );

  await handleHeader(
    host,
    {
      async latest(req) {
        const c = chain(req.chainId);
        const h = c.driver.height;
        // Header and certificate from the same stored block: the head may move during the await.
        const stored = h > 0 ? await c.history.block(h) : undefined;
        if (h > 0 && !stored) throw new CoreError('chain/unknown-record', { height: h }, 'ignore');
        const header = stored ? blockCodec.decode(stored.block).header : c.driver.genesisHeader;
        return {
          height: h,
          header: headerCodec.encode(header) as never,
          commit: (stored?.cert ?? new Uint8Array(0)) as never,
          validatorChanges: (await c.history.changesAfter(req.trustedHeight)) as never
        };
      }
    },
    undefined,
    clients
  );

  await handleStateProof(
    host,
    {
      async prove(req) {
        const c = chain(req.chainId);
        const at = req.height ?? c.driver.height;
        const state = c.history.stateAt(at);
        if (!state)
          throw new CoreError('proof/invalid', { detail: `height ${at} not held`, height: at }, 'ignore');
        const value = state.get(req.key) ?? null;
        return {
          height: at,
          root: state.root() as never,
          key: req.key,
          value: value as never,
          proof: smtProofCodec.encode(state.prove(req.key)) as never
        };
      }
    },
    undefined,
    clients
  );

  await handleTxProof(
    host,
    {
      async prove(req) {
        const c = chain(req.chainId);
        const stored = await c.history.block(req.height);
        if (!stored) throw new CoreError('chain/unknown-record', { height: req.height }, 'ignore');
        const block = blockCodec.decode(stored.block);
        // By position when the client knows it (from an index entry), else by hash.
        const index =
          req.txIndex !== undefined
            ? req.txIndex < block.txs.length
              ? req.txIndex
              : -1
            : block.txs.findIndex((tx) => bytesEqual(txHash(tx), req.txHash));
        if (index < 0) throw new CoreError('chain/unknown-record', { height: req.height }, 'ignore');
        return {
          header: headerCodec.encode(block.header) as never,
          commit: stored.cert as never,
          tx: block.txs[index] as never,
          proof: txProofCodec.encode(proveTx(block.txs, index)) as never
        };
      }
    },
    undefined,
    clients
  );

  /** A transaction's inclusion proof by its position (the light client knows it from the index). */
  const txProofAt = async (chainId: string, height: number, txIndex: number) => {
    const stored = await chain(chainId).history.block(height);
    const block = stored ? blockCodec.decode(stored.block) : undefined;
    const tx = block?.txs[txIndex];
    if (!stored || !block || !tx) throw new CoreError('chain/unknown-record', { height, txIndex }, 'ignore');
    return {
      header: headerCodec.encode(block.header) as never,
      commit: stored.cert as never,
      tx: tx as never,
      proof: txProofCodec.encode(proveTx(block.txs, txIndex)) as never
    };
  };

  const mirror = d.mirror;
  if (d.db) {
    const consortium = chain(CONSORTIUM_CHAIN_ID);
    await serveMailbox(host, {
      db: d.db,
      consortium: consortium.driver,
      peers: consortium.peerIds,
      log: d.log,
      serve: clients,
      now
    });
  }

  const reads = createReadAuthority({
    peerId: d.peerId,
    consortium: () => d.consortiumDriver.state,
    hospital: () => d.hospitalDriver.state,
    now
  });

  // Every node of the hospital can list (it follows both chains); reading goes to the mirrors.
  if (d.db) {
    const patientRecords = new PatientRecords({
      db: d.db,
      height: () => d.hospitalDriver.height,
      block: (h) => chain(d.hospitalDriver.chainId).history.block(h),
      consortium: () => d.consortiumDriver.state
    });
    if (d.authorityEncryptionSecret) {
      // The node light clients ask in an emergency keeps the index current (catchUp shares one pass).
      const catchUp = () =>
        void patientRecords.catchUp().catch((e: unknown) => {
          d.log.warn('patient index not updated', { error: (e as Error).message });
        });
      d.hospitalDriver.onCommit(catchUp);
      catchUp();
    }
    await handleEmergencyList(
      host,
      {
        async list(req) {
          const { auth } = req;
          if (auth.breakGlass === null)
            throw new CoreError('consent/out-of-scope', { detail: 'no break-glass statement' });
          if (!bytesEqual(auth.hash, sha256(auth.breakGlass)))
            throw new CoreError('consent/malformed', { detail: 'hash is not the statement’s' });
          const { reader, t } = reads.checkRequest(auth);
          const bg = reads.checkBreakGlass(auth.breakGlass, auth, reader.role, t);
          const listed = await patientRecords.list(bg.patient, req.before ?? undefined);
          d.log.info('break-glass list', {
            doctor: toHex(auth.requester).slice(0, 16),
            records: listed.records.length
          });
          return { chainId: d.hospitalDriver.chainId, ...listed };
        }
      },
      undefined,
      clients
    );
  }

  if (!mirror) return;

  await handleMirror(
    host,
    {
      async store(_hash, blob) {
        return attestationCodec.encode(await mirror.store(blob));
      },
      async fetch(hash, ctx) {
        if (!d.hospitalPeerIds.has(ctx.peer))
          throw new CoreError('node/not-permitted', { detail: 'raw fetch is for this hospital’s nodes' });
        const b = await mirror.fetch(hash);
        if (!b) throw new CoreError('node/blob-missing', { hash: toHex(hash) }, 'ignore');
        return b;
      },
      async attest(hash) {
        const a = await mirror.attest(hash);
        if (!a) throw new CoreError('node/blob-missing', { hash: toHex(hash) }, 'ignore');
        return attestationCodec.encode(a);
      }
    },
    undefined,
    clients
  );

  /** A blob read, authorised and logged on the hospital chain before a single byte is served. */
  const readBlob = async (auth: BlobAuth, ctx: ServeContext, before?: () => Promise<void>) => {
    const purpose = reads.authorise(auth);
    const blob = await mirror.fetch(auth.hash);
    if (!blob) throw new CoreError('node/blob-missing', { hash: toHex(auth.hash) }, 'ignore');
    await before?.();
    const log = createAccessLog(d.key.seed, d.key.publicKey, {
      hospital: d.hospital,
      reader: auth.requester,
      record: auth.hash,
      time: now(),
      purpose
    });
    await d.hospitalDriver.submitAndWait(accessLogCodec.encode(log), 'access-log', ACCESS_LOG_TIMEOUT_MS);
    d.onRead?.({ reader: auth.requester, record: auth.hash, bytes: blob.length });
    return blob;
  };
  await handleBlob(host, { fetch: (auth, ctx) => readBlob(auth, ctx) }, undefined, clients);

  // The record protocol: the same read (same authorisation, same access log) with the block proof.
  await handleRecord(
    host,
    {
      async fetch(req, ctx) {
        let proof: Awaited<ReturnType<typeof txProofAt>> | undefined;
        // The proof is made before the read is logged: a block this node lacks is refused unlogged.
        const blob = await readBlob(req.auth, ctx, async () => {
          proof = await txProofAt(req.chainId, req.height, req.txIndex);
        });
        // Break-glass, at the authority node: the data key, released to the reader's own key only.
        const secret = d.authorityEncryptionSecret;
        if (req.auth.breakGlass === null || !secret) return { ...proof!, blob };
        const reader = account(d.consortiumDriver.state, req.auth.requester)!;
        return { ...proof!, blob, key: releaseRecordKey(blob, secret, reader.encryptionKey, systemRng) };
      }
    },
    undefined,
    clients
  );
}
