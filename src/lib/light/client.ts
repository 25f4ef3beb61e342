/**
 * The light client: keeps a verified head per chain (consortium and each hospital chain), asks
 * several nodes, and believes only what verifies. A node caught lying (bad proof, altered blob,
 * forged or stale head) is dropped and reported; a node that is down is skipped and tried again
 * later. The transport (libp2p in the browser and in Node, in-memory in simulation) and the head
 * store (IndexedDB, a file, memory) are injected.
 */
import { CoreError, isCoreError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { sha256, toHex } from '../core/crypto/hash.js';
import { CONSORTIUM_CHAIN_ID, headerHash, hospitalOfChain } from '../core/chain/header.js';
import { hospitalEntryCodec, type HospitalEntry } from '../core/chain/entries.js';
import { NS } from '../core/chain/store.js';
import { stateKey } from '../core/state/smt.js';
import { MAX_VALIDATOR_CHANGES } from '../net/header.js';
import { MAX_RECORDS_PER_REQUEST } from '../net/record-fetch.js';
import { MAX_EMERGENCY_PAGES, type EmergencyCursor, type EmergencyList } from '../net/emergency-list.js';
import type { ChangeProof } from '../core/chain/change-proof.js';
import type { IndexEntry } from '../core/chain/tx/index-batch.js';
import type { CommitCertificate, ValidatorSet } from '../core/consensus/types.js';
import type { Header } from '../core/chain/header.js';
import { verifyHeaderUpdate, type SyncProgress, type TrustedHead } from './header-sync.js';
import { verifyStateAnswer, type StateAnswer } from './proofs.js';
import { verifyBlob, verifyRecordRef, type TxAnswer, type VerifiedRecordRef } from './records.js';
import {
  decodeEmergencyAnswer,
  decodeRecordAnswer,
  decodeStateAnswer,
  emergencyCacheKey,
  encodeEmergencyAnswer,
  encodeRecordAnswer,
  encodeStateAnswer,
  isOutage,
  recordCacheKey,
  stateCacheKey,
  type Proven
} from './answer-cache.js';

/**
 * A record's block proof and blob, answered together; under break-glass, `key` is the data key the
 * hospital's authority released to the reader (net/record-fetch.ts).
 */
export type RecordAnswer = TxAnswer & { blob: Uint8Array; key?: Uint8Array };

/** Who reads a blob, and under which consent: what a node needs to decide and log the read. */
export interface BlobAccess {
  /** The search capability of the record's category (proves the grant covers its index tag). */
  capability: Uint8Array | null;
  /** The consent grant id; null when the patient reads their own record, or under break-glass. */
  grantId: Uint8Array | null;
  /** A co-signed break-glass statement committed on the consortium (an emergency read). */
  breakGlass?: Uint8Array;
}

/** A node's header answer: its latest header and the set changes after the height asked from. */
export interface HeaderAnswer {
  latest: Header;
  commit: CommitCertificate | null;
  changes: ChangeProof[];
}

/** One node as the light client sees it. Every answer is untrusted until verified. */
export interface LightPeer {
  readonly id: string;
  header(chainId: string, trustedHeight: number): Promise<HeaderAnswer>;
  state(chainId: string, key: Uint8Array, height: number): Promise<StateAnswer>;
  txProof(chainId: string, height: number, txIndex: number): Promise<TxAnswer>;
  /** `hash` names the blob; the peer decides whether the requester may read it. */
  blob(hash: Uint8Array, access?: BlobAccess): Promise<Uint8Array>;
  /**
   * Optional: the record's block proof and its blob in one request (net/record-fetch.ts), read under
   * the same authorisation as `blob`. A peer without it is asked `txProof` and `blob` instead.
   */
  record?(
    chainId: string,
    height: number,
    txIndex: number,
    hash: Uint8Array,
    access?: BlobAccess
  ): Promise<RecordAnswer>;
  /**
   * Optional: several records in one request, each answered or refused on its own; null when the
   * node does not speak that protocol (the client then asks record by record).
   */
  records?(
    items: { chainId: string; height: number; txIndex: number; hash: Uint8Array }[],
    access?: BlobAccess
  ): Promise<(RecordAnswer | CoreError)[] | null>;
  /**
   * Optional: one page of a hospital node's list of a patient's records under break-glass, older than
   * `before` when given (net/emergency-list.ts).
   */
  emergencyList?(statement: Uint8Array, before?: EmergencyCursor | null): Promise<EmergencyList>;
  /** Optional: start connecting ahead of the first request, so several nodes are dialled at once. */
  connect?(): void;
}

/** A chain's verified head plus the sets in charge since its genesis, to check old hospital blocks. */
export interface ChainView {
  head: TrustedHead;
  /** (first height, set) in ascending order; the set signs heights from `from` on. */
  sets: { from: number; set: ValidatorSet }[];
}

export interface HeadStore {
  load(chainId: string): Promise<ChainView | undefined>;
  save(chainId: string, view: ChainView): Promise<void>;
  /** Optional (answer-cache.ts): verified answers, served marked as cached when no node is reachable. */
  loadAnswer?(key: string): Promise<Uint8Array | undefined>;
  saveAnswer?(key: string, bytes: Uint8Array): Promise<void>;
}

export type LightEvent =
  | { type: 'progress'; chainId: string; progress: SyncProgress }
  | { type: 'peer-dropped'; peer: string; error: CoreError }
  /** The node answered from behind what the client already verified: not believed, asked again later. */
  | { type: 'peer-stale'; peer: string; error: CoreError }
  | { type: 'peer-unreachable'; peer: string; error: unknown };

export interface LightClientOptions {
  /** Trusted starting points, derived from the pinned genesis (never from a node's word). */
  genesis: Map<string, TrustedHead>;
  /**
   * The trusted height-0 head of a hospital the managers added after genesis, derived from its entry
   * as proven on the consortium (genesis.ts hospitalHead). Without it only founding hospitals'
   * chains are followed.
   */
  addedHospital?: (entry: HospitalEntry) => TrustedHead;
  peers: LightPeer[];
  store: HeadStore;
  onEvent?: (e: LightEvent) => void;
}

/**
 * Record bytes one hospital's break-glass listing may bring into the browser: up to 2,048 records are
 * listed, and records run to 1 MiB each. Past this the newest records read so far are opened and the
 * listing says older ones exist (`more`).
 */
export const MAX_EMERGENCY_BYTES = 64 * 1024 * 1024;

/** Header rounds per peer per sync: 64 × 48 change proofs is more than a node keeps (1,024). */
const MAX_HEADER_ROUNDS = 64;

/** Records fetched one by one at once: within the record protocol's per-connection stream limit (8). */
const RECORD_CONCURRENCY = 8;

/** Verified block headers remembered: a patient's history spans a few hundred blocks at most. */
const MAX_CERTIFIED = 4096;

/** A node whose answer failed verification: it is lying or broken, either way not to be asked again. */
/** What one hospital's authority node lists under a break-glass statement, each record verified. */
export interface EmergencyFound {
  hospital: string;
  /** The hospital holds older records than were read (past the pages or the byte budget). */
  more: boolean;
  /** Each listed record, with the data key released to this reader; a refusal in its place. */
  got: ({ ref: VerifiedRecordRef; blob: Uint8Array; key?: Uint8Array } | CoreError)[];
  /** Read back from this device (no node reachable): what was opened under the statement before. */
  cached: boolean;
}

/**
 * A hospital's whole listing, its pages joined after checking they fit together: one chain, and each
 * page newest first and older than the page before. A node that breaks this is lying about its order.
 */
function joinPages(pages: EmergencyList[]): EmergencyList {
  const first = pages[0]!;
  const records: EmergencyList['records'] = [];
  for (const page of pages) {
    if (page.chainId !== first.chainId)
      throw new CoreError('light/proof-invalid', { detail: 'pages of two chains' });
    for (const r of page.records) {
      const prev = records.at(-1);
      if (prev && (r.height > prev.height || (r.height === prev.height && r.txIndex >= prev.txIndex)))
        throw new CoreError('light/proof-invalid', { detail: 'listing not newest first' });
      records.push(r);
    }
  }
  return { ...first, records, more: pages.at(-1)!.more };
}

/** The hospital a listing is for: only a hospital chain holds records. */
function hospitalOf(listed: EmergencyList): string {
  const hospital = hospitalOfChain(listed.chainId);
  if (!hospital) throw new CoreError('light/proof-invalid', { detail: `listed chain ${listed.chainId}` });
  return hospital;
}

/** A listed record as the index entry it is checked against (what an index search would have given). */
function listedEntry(hospital: string, r: EmergencyList['records'][number]): IndexEntry {
  return { hospital, height: r.height, txIndex: r.txIndex, mhrHash: r.mhrHash, blobRef: r.blobRef };
}

function isLie(e: unknown): e is CoreError {
  return isCoreError(e) && e.code.startsWith('light/') && e.action === 'reject';
}

/** A refusal every honest node would give alike (the user's consent or account): asking on is useless. */
function isFinalRefusal(e: unknown): e is CoreError {
  return (
    isCoreError(e) &&
    (e.code.startsWith('consent/') || e.code.startsWith('account/') || e.code === 'node/no-grant')
  );
}

export class LightClient {
  private readonly views = new Map<string, ChainView>();
  private dialled = false;
  /** Which peer the next record fetch starts at. */
  private turn = 0;
  /** Chains synced at least once in this session. */
  private readonly synced = new Set<string>();
  private peers: LightPeer[];
  readonly dropped = new Map<string, CoreError>();

  constructor(private readonly opts: LightClientOptions) {
    this.peers = [...opts.peers];
  }

  get livePeers(): readonly LightPeer[] {
    return this.peers;
  }

  private emit(e: LightEvent) {
    this.opts.onEvent?.(e);
  }

  private drop(peer: LightPeer, error: CoreError) {
    this.peers = this.peers.filter((p) => p !== peer);
    this.dropped.set(peer.id, error);
    this.emit({ type: 'peer-dropped', peer: peer.id, error });
  }

  async view(chainId: string): Promise<ChainView> {
    let view = this.views.get(chainId) ?? (await this.opts.store.load(chainId));
    if (!view) {
      const g = this.opts.genesis.get(chainId) ?? (await this.addedHospitalHead(chainId));
      if (!g) throw new CoreError('light/proof-invalid', { detail: `no trusted genesis for ${chainId}` });
      view = { head: g, sets: [{ from: g.header.height + 1, set: g.nextSet }] };
    }
    this.views.set(chainId, view);
    return view;
  }

  /** A hospital chain that is not in the genesis document starts from the hospital's proven entry. */
  private async addedHospitalHead(chainId: string): Promise<TrustedHead | undefined> {
    const id = hospitalOfChain(chainId);
    if (!id || !this.opts.addedHospital) return undefined;
    const bytes = await this.state(CONSORTIUM_CHAIN_ID, stateKey(NS.hospital, id));
    if (!bytes) throw new CoreError('chain/unknown-hospital', { hospital: id });
    return this.opts.addedHospital(hospitalEntryCodec.decode(bytes));
  }

  /** The set that signed `height` of a chain, from the verified history. */
  async setAt(chainId: string, height: number): Promise<ValidatorSet> {
    const view = await this.view(chainId);
    if (height > view.head.header.height) throw new CoreError('light/stale', { height }, 'ignore');
    let found = view.sets[0]!.set;
    for (const s of view.sets) if (s.from <= height) found = s.set;
    return found;
  }

  /**
   * Brings the chain's head up to the newest header any live peer can prove. Every peer is asked; the
   * highest verified head wins, so one stale or withholding node cannot hold the client back.
   */
  sync(chainId: string): Promise<TrustedHead> {
    // Callers at once (records of one hospital fetched in parallel) share one sync of the chain.
    let p = this.syncing.get(chainId);
    if (!p) {
      p = this.syncNow(chainId).finally(() => this.syncing.delete(chainId));
      this.syncing.set(chainId, p);
    }
    return p;
  }

  private readonly syncing = new Map<string, Promise<TrustedHead>>();

  private async syncNow(chainId: string): Promise<TrustedHead> {
    if (!this.dialled) {
      // Peers are asked one after another (each from the best head so far); their dials need not wait.
      this.dialled = true;
      for (const p of this.peers) p.connect?.();
    }
    const view = await this.view(chainId);
    let best = view;
    // Every peer is asked at once; the answers are verified in order, each from the best head so far,
    // so a second honest answer repeats no signature check (its head is the one already verified).
    const peers = [...this.peers];
    const firsts = peers.map((peer) => {
      const p = peer.header(chainId, view.head.header.height);
      p.catch(() => undefined); // handled when its turn comes; never an unhandled rejection meanwhile
      return p;
    });
    for (const [i, peer] of peers.entries()) {
      try {
        const got = await this.follow(peer, chainId, best, firsts[i]);
        if (got.head.header.height > best.head.header.height) best = got;
      } catch (e) {
        if (isLie(e)) this.drop(peer, e);
        else if (isCoreError(e, 'light/stale')) this.emit({ type: 'peer-stale', peer: peer.id, error: e });
        else this.emit({ type: 'peer-unreachable', peer: peer.id, error: e });
      }
    }
    if (this.peers.length === 0) throw new CoreError('light/no-peers', {}, 'ignore');
    this.synced.add(chainId);
    if (best !== view) {
      this.views.set(chainId, best);
      await this.opts.store.save(chainId, best);
    }
    return best.head;
  }

  /**
   * Walks one peer's answers from `from` to its head. An answer holds at most MAX_VALIDATOR_CHANGES
   * change proofs; a full one may stop short of the set that signs the head, so its changes are walked
   * and the peer is asked again from the last of them (each step certified, so each is progress).
   */
  private async follow(
    peer: LightPeer,
    chainId: string,
    from: ChainView,
    first?: Promise<HeaderAnswer>
  ): Promise<ChainView> {
    let view = from;
    for (let round = 0; round < MAX_HEADER_ROUNDS; round++) {
      const answer = round === 0 && first ? await first : await peer.header(chainId, view.head.header.height);
      // An answer asked for before another peer moved the head on: the changes walked since are skipped.
      const changes = answer.changes.filter((c) => c.header.height > view.head.header.height);
      const full = answer.changes.length >= MAX_VALIDATOR_CHANGES;
      if (full && changes.length === 0) continue;
      const last = full ? changes.at(-1) : undefined;
      const head = verifyHeaderUpdate(
        view.head,
        last
          ? { changes, latest: last.header, commit: last.commit }
          : { changes, latest: answer.latest, commit: answer.commit },
        (progress) => this.emit({ type: 'progress', chainId, progress })
      );
      const sets = [...view.sets, ...changes.map((c) => ({ from: c.header.height + 1, set: c.nextSet }))];
      view = { head, sets };
      if (!last) return view;
    }
    return view;
  }

  /**
   * A proven value (or proven absence) from the chain's verified state, asking peers in turn. The
   * chain is synced once per session before its first query: an absence proven against an old head
   * (a revocation not yet seen) is exactly what a light client must not serve.
   */
  async state(chainId: string, key: Uint8Array): Promise<Uint8Array | null> {
    return (await this.provenState(chainId, key)).value;
  }

  /**
   * `state` with where the answer came from. With `offline`, a failure because no node could be
   * reached serves the answer last proven on this device instead, marked `cached` with its height;
   * any other failure (a refusal, a lie, a stale node) is thrown as it is, and a reachable node's
   * answer is always the one returned.
   */
  async provenState(chainId: string, key: Uint8Array, offline = false): Promise<Proven<Uint8Array | null>> {
    try {
      return await this.freshState(chainId, key);
    } catch (e) {
      if (!offline || !isOutage(e)) throw e;
      const bytes = await this.opts.store.loadAnswer?.(stateCacheKey(chainId, key));
      const got = bytes && decodeStateAnswer(bytes, chainId);
      if (!got) throw e;
      return { ...got, cached: true };
    }
  }

  private async freshState(chainId: string, key: Uint8Array): Promise<Proven<Uint8Array | null>> {
    if (!this.synced.has(chainId)) await this.sync(chainId);
    const got = await this.firstHonest(async (peer) => {
      let head = (await this.view(chainId)).head.header;
      let answer = await peer.state(chainId, key, head.height);
      if (answer.height > head.height) {
        // The node moved on: verify the newer header first (never trust its root), then ask again
        // at exactly the verified height if the chain moved between the two.
        head = (await this.sync(chainId)).header;
        if (answer.height !== head.height) answer = await peer.state(chainId, key, head.height);
        if (answer.height > head.height)
          throw new CoreError('light/stale', { detail: 'answer from a head no node proved' }, 'ignore');
      }
      return { value: verifyStateAnswer(head, key, answer), height: head.height, cached: false };
    });
    this.keep(stateCacheKey(chainId, key), () => encodeStateAnswer(chainId, got.height, got.value));
    return got;
  }

  /** Writes still in flight to the answer store (answers are kept in the background). */
  private readonly writes = new Set<Promise<void>>();

  /** Keeps a verified answer on the device, without holding up the caller; a failed write is dropped. */
  private keep(key: string, encode: () => Uint8Array) {
    const save = this.opts.store.saveAnswer?.bind(this.opts.store);
    if (!save) return;
    const w = save(key, encode())
      .catch(() => undefined)
      .finally(() => this.writes.delete(w));
    this.writes.add(w);
  }

  /** Resolves when every verified answer so far is written (before closing the store, and in tests). */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  /**
   * Fetches and verifies the record an index entry points to: certified block, inclusion, blob hash.
   * The blob is asked for at the same time as the block proof (the proven index entry already names its
   * hash), so a record costs one round trip, and both answers must agree before either is believed.
   */
  async record(
    tag: Uint8Array,
    entry: IndexEntry,
    access?: BlobAccess,
    offline = false
  ): Promise<{ ref: VerifiedRecordRef; blob: Uint8Array; cached: boolean }> {
    try {
      return { ...(await this.freshRecord(tag, entry, access)), cached: false };
    } catch (e) {
      if (!offline || !isOutage(e)) throw e;
      const found = await this.cachedRecord(tag, entry);
      if (!found) throw e;
      return { ...found, cached: true };
    }
  }

  /**
   * A record kept on this device, verified again as if a node had sent it (the device's storage is
   * not trusted with records); undefined when none is kept, thrown when it no longer verifies.
   */
  private async cachedRecord(
    tag: Uint8Array,
    entry: IndexEntry
  ): Promise<{ ref: VerifiedRecordRef; blob: Uint8Array } | undefined> {
    const bytes = await this.opts.store.loadAnswer?.(recordCacheKey(entry.mhrHash));
    const a = bytes && decodeRecordAnswer(bytes);
    if (!a) return undefined;
    const chainId = `hospital:${entry.hospital}`;
    const set = await this.setAt(chainId, entry.height);
    const ref = verifyRecordRef(tag, entry, a, () => set);
    verifyBlob(ref, a.blob);
    return { ref, blob: a.blob };
  }

  private async freshRecord(
    tag: Uint8Array,
    entry: IndexEntry,
    access?: BlobAccess
  ): Promise<{ ref: VerifiedRecordRef; blob: Uint8Array }> {
    const chainId = `hospital:${entry.hospital}`;
    const view = await this.view(chainId);
    if (view.head.header.height < entry.height) await this.sync(chainId);
    const set = await this.setAt(chainId, entry.height);
    const head = (await this.view(chainId)).head;
    const verifiedAt = (height: number) =>
      height === head.header.height ? head.hash : this.certified.get(`${chainId}@${height}`);
    // Records start at successive peers, so a history spread over hospitals is fetched from many nodes.
    const start = this.turn++;
    if (this.peers.every((p) => p.record)) {
      // One request per record: proof and blob from the same node, both checked before either counts.
      const got = await this.firstHonest(async (peer) => {
        const a = await peer.record!(chainId, entry.height, entry.txIndex, entry.mhrHash, access);
        const ref = verifyRecordRef(tag, entry, a, () => set, verifiedAt);
        verifyBlob(ref, a.blob);
        return { ref, blob: a.blob, answer: a };
      }, start);
      this.remember(`${chainId}@${entry.height}`, headerHash(got.ref.header));
      this.keep(recordCacheKey(entry.mhrHash), () => encodeRecordAnswer(chainId, entry.height, got.answer));
      return { ref: got.ref, blob: got.blob };
    }
    const refP = this.firstHonest(async (peer) => {
      const answer = await peer.txProof(chainId, entry.height, entry.txIndex);
      return { ref: verifyRecordRef(tag, entry, answer, () => set, verifiedAt), answer };
    }, start);
    const blobP = this.firstHonest(async (peer) => {
      const bytes = await peer.blob(entry.mhrHash, access);
      if (!bytesEqual(sha256(bytes), entry.mhrHash))
        throw new CoreError('light/record-altered', { record: entry.blobRef });
      return bytes;
    }, start);
    const [{ ref, answer }, blob] = await Promise.all([refP, blobP]);
    verifyBlob(ref, blob);
    this.remember(`${chainId}@${entry.height}`, headerHash(ref.header));
    this.keep(recordCacheKey(entry.mhrHash), () =>
      encodeRecordAnswer(chainId, entry.height, { ...answer, blob })
    );
    return { ref, blob };
  }

  /**
   * Every record of `entries`, in order: each verified as `record` does, or the error that record
   * ended with (a refusal, or a check no node's answer passed). The entries are dealt over the live
   * peers and each peer is asked for its share in one request (net/record-fetch.ts), so a history is
   * a request per node rather than per record; whatever a peer did not answer verifiably (a node
   * down, lying, refusing, or too old for the protocol) is then fetched record by record with the
   * usual failover, and from what the device verified before when `offline` and no node answers.
   */
  async records(
    tag: Uint8Array,
    entries: IndexEntry[],
    access?: BlobAccess,
    offline = false
  ): Promise<({ ref: VerifiedRecordRef; blob: Uint8Array; cached: boolean } | CoreError)[]> {
    type Got = { ref: VerifiedRecordRef; blob: Uint8Array; cached: boolean } | CoreError;
    const out: (Got | undefined)[] = new Array(entries.length);
    // A chain is synced (once, shared) only where an entry lies beyond its verified head; the records
    // are asked for meanwhile, and each answer is checked once its chain's sync is done.
    const syncs = new Map<string, Promise<unknown>>();
    for (const e of entries) {
      const chainId = `hospital:${e.hospital}`;
      if (!syncs.has(chainId) && (await this.view(chainId)).head.header.height < e.height)
        syncs.set(
          chainId,
          this.sync(chainId).catch(() => undefined)
        );
    }

    const peers = this.peers.filter((p) => p.records);
    const shares = new Map<LightPeer, number[]>();
    entries.forEach((_, i) => {
      const peer = peers[(this.turn + i) % Math.max(1, peers.length)];
      if (peer) shares.set(peer, [...(shares.get(peer) ?? []), i]);
    });
    this.turn += entries.length;
    await Promise.all(
      [...shares].map(async ([peer, share]) => {
        for (let k = 0; k < share.length; k += MAX_RECORDS_PER_REQUEST) {
          const chunk = share.slice(k, k + MAX_RECORDS_PER_REQUEST);
          if (!this.peers.includes(peer)) return;
          let answers: (RecordAnswer | CoreError)[] | null;
          try {
            answers = await peer.records!(
              chunk.map((i) => {
                const e = entries[i]!;
                return {
                  chainId: `hospital:${e.hospital}`,
                  height: e.height,
                  txIndex: e.txIndex,
                  hash: e.mhrHash
                };
              }),
              access
            );
          } catch (e) {
            if (isLie(e)) this.drop(peer, e);
            else this.emit({ type: 'peer-unreachable', peer: peer.id, error: e });
            return;
          }
          if (!answers) return;
          for (const [n, i] of chunk.entries()) {
            const a = answers[n]!;
            if (a instanceof CoreError) {
              // A refusal every node would give is the answer; any other is asked elsewhere below.
              if (isFinalRefusal(a)) out[i] = a;
              continue;
            }
            try {
              await syncs.get(`hospital:${entries[i]!.hospital}`);
              out[i] = { ...(await this.checkRecord(tag, entries[i]!, a)), cached: false };
            } catch (e) {
              // Not checkable now (a chain that could not be synced): left for the one-by-one pass.
              if (!isLie(e)) continue;
              this.drop(peer, e);
              return;
            }
          }
        }
      })
    );

    await Promise.all(syncs.values());
    // What no peer's share answered verifiably: one record at a time, across every live peer.
    const left = entries.flatMap((_, i) => (out[i] === undefined ? [i] : []));
    let next = 0;
    const worker = async () => {
      while (next < left.length) {
        const i = left[next++]!;
        out[i] = await this.record(tag, entries[i]!, access, offline).catch((e: unknown) =>
          isCoreError(e) ? e : new CoreError('light/no-peers', { detail: String(e) }, 'ignore')
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECORD_CONCURRENCY, left.length) }, worker));
    return out as Got[];
  }

  /**
   * Break-glass: the records one hospital node lists for the patient a committed statement names, each
   * read from that same node under the statement (the hospital's authority node releases the data key
   * with it) and checked like any record: certified hospital header, inclusion proof, transaction equal
   * to what was listed, blob hash. The list itself is the node's claim; what it leaves out is not seen.
   * With `offline`, when the node cannot be reached, what this device opened under the statement
   * before is answered instead, marked cached.
   */
  async emergencyRecords(
    peerId: string,
    statement: Uint8Array,
    offline = false,
    maxBytes = MAX_EMERGENCY_BYTES
  ): Promise<EmergencyFound> {
    try {
      return { ...(await this.freshEmergency(peerId, statement, maxBytes)), cached: false };
    } catch (e) {
      if (!offline || !isOutage(e)) throw e;
      const bytes = await this.opts.store.loadAnswer?.(emergencyCacheKey(peerId, statement));
      const kept = bytes && decodeEmergencyAnswer(bytes);
      if (!kept) throw e;
      // What this device opened under the statement before, each record verified again as read back.
      const listed = joinPages(kept.pages);
      const keys = kept.keys;
      const hospital = hospitalOf(listed);
      const got: EmergencyFound['got'] = [];
      for (const r of listed.records) {
        try {
          const found = await this.cachedRecord(r.tag, listedEntry(hospital, r));
          const key = keys.get(toHex(r.mhrHash));
          if (found) got.push({ ...found, ...(key ? { key } : {}) });
        } catch (err) {
          // Altered on this device: that record is refused, the others still open.
          got.push(isCoreError(err) ? err : new CoreError('light/record-altered', { detail: String(err) }));
        }
      }
      return { hospital, more: listed.more, got, cached: true };
    }
  }

  private async freshEmergency(
    peerId: string,
    statement: Uint8Array,
    maxBytes: number
  ): Promise<Omit<EmergencyFound, 'cached'>> {
    const peer = this.peers.find((p) => p.id === peerId);
    if (!peer?.emergencyList || !peer.records)
      throw new CoreError(
        'light/no-peers',
        { detail: 'the hospital’s authority node is not reachable' },
        'ignore'
      );
    // Page by page, up to MAX_EMERGENCY_PAGES: each page asks for what is older than the last one.
    const pages: EmergencyList[] = [];
    let listed: EmergencyList;
    try {
      for (let before: EmergencyCursor | null = null; ;) {
        const page = await peer.emergencyList(statement, before);
        pages.push(page);
        const last = page.records.at(-1);
        if (!page.more || !last || pages.length >= MAX_EMERGENCY_PAGES) break;
        before = { height: last.height, txIndex: last.txIndex };
      }
      listed = joinPages(pages);
    } catch (e) {
      if (isLie(e)) this.drop(peer, e);
      throw e;
    }
    const hospital = hospitalOf(listed);
    const chainId = listed.chainId;
    const top = Math.max(0, ...listed.records.map((r) => r.height));
    if ((await this.view(chainId)).head.header.height < top) await this.sync(chainId);
    const access: BlobAccess = { capability: null, grantId: null, breakGlass: statement };
    const got: EmergencyFound['got'] = [];
    const released: { mhrHash: Uint8Array; key: Uint8Array }[] = [];
    let bytes = 0;
    let more = listed.more;
    for (let k = 0; k < listed.records.length; k += MAX_RECORDS_PER_REQUEST) {
      if (bytes >= maxBytes) {
        more = true; // newest first: what is left is older
        break;
      }
      const chunk = listed.records.slice(k, k + MAX_RECORDS_PER_REQUEST);
      const answers = await peer.records(
        chunk.map((r) => ({ chainId, height: r.height, txIndex: r.txIndex, hash: r.mhrHash })),
        access
      );
      if (!answers)
        throw new CoreError('light/no-peers', { detail: 'the node does not serve records' }, 'ignore');
      for (const [i, a] of answers.entries()) {
        if (a instanceof CoreError) {
          got.push(a);
          continue;
        }
        const r = chunk[i]!;
        // A lie here (a record other than the one listed, an unsigned block) drops the node as anywhere.
        try {
          const { ref, blob } = await this.checkRecord(r.tag, listedEntry(hospital, r), a);
          got.push({ ref, blob, ...(a.key ? { key: a.key } : {}) });
          bytes += blob.length;
          if (a.key) released.push({ mhrHash: r.mhrHash, key: a.key });
        } catch (e) {
          if (isLie(e)) this.drop(peer, e);
          throw e;
        }
      }
    }
    this.keep(emergencyCacheKey(peerId, statement), () => encodeEmergencyAnswer(pages, released));
    return { hospital, more, got };
  }

  /** A record answer checked against the index entry and the verified hospital chain, then kept. */
  private async checkRecord(
    tag: Uint8Array,
    entry: IndexEntry,
    a: RecordAnswer
  ): Promise<{ ref: VerifiedRecordRef; blob: Uint8Array }> {
    const chainId = `hospital:${entry.hospital}`;
    const set = await this.setAt(chainId, entry.height);
    const head = (await this.view(chainId)).head;
    const verifiedAt = (height: number) =>
      height === head.header.height ? head.hash : this.certified.get(`${chainId}@${height}`);
    const ref = verifyRecordRef(tag, entry, a, () => set, verifiedAt);
    verifyBlob(ref, a.blob);
    this.remember(`${chainId}@${entry.height}`, headerHash(ref.header));
    this.keep(recordCacheKey(entry.mhrHash), () => encodeRecordAnswer(chainId, entry.height, a));
    return { ref, blob: a.blob };
  }

  /** Verified hospital block headers, so the records of one block cost one certificate check. */
  private readonly certified = new Map<string, Uint8Array>();

  private remember(key: string, hash: Uint8Array) {
    if (this.certified.size >= MAX_CERTIFIED) this.certified.delete(this.certified.keys().next().value!);
    this.certified.set(key, hash);
  }

  /**
   * Runs `ask` against live peers until one answers verifiably. Lies drop the peer; outages, stale
   * answers and refusals another node may not make (rate limits, a node not yet synced) move on to
   * the next. A refusal every node would give (consent, account) ends the search at once, because it
   * is the answer the user needs; if every peer failed, the last error is what the caller sees.
   */
  private async firstHonest<T>(ask: (peer: LightPeer) => Promise<T>, start = 0): Promise<T> {
    let lastError: unknown = new CoreError('light/no-peers', {}, 'ignore');
    const k = this.peers.length === 0 ? 0 : start % this.peers.length;
    for (const peer of [...this.peers.slice(k), ...this.peers.slice(0, k)]) {
      try {
        return await ask(peer);
      } catch (e) {
        lastError = e;
        if (isLie(e)) this.drop(peer, e);
        else if (isCoreError(e, 'light/stale')) this.emit({ type: 'peer-stale', peer: peer.id, error: e });
        else if (isFinalRefusal(e)) throw e;
        else this.emit({ type: 'peer-unreachable', peer: peer.id, error: e });
      }
    }
    throw lastError;
  }
}

/** Head store kept in memory (simulation, tests, and a session without persistence). */
export class MemoryHeadStore implements HeadStore {
  private readonly views = new Map<string, ChainView>();
  private dialled = false;
  /** Which peer the next record fetch starts at. */
  private turn = 0;
  /** Chains synced at least once in this session. */
  private readonly synced = new Set<string>();
  async load(chainId: string) {
    return this.views.get(chainId);
  }
  async save(chainId: string, view: ChainView) {
    this.views.set(chainId, view);
  }
  private readonly answers = new Map<string, Uint8Array>();
  async loadAnswer(key: string) {
    return this.answers.get(key);
  }
  async saveAnswer(key: string, bytes: Uint8Array) {
    // Oldest first out beyond the bound: memory is for tests and short-lived tools.
    if (this.answers.size >= MAX_MEMORY_ANSWERS && !this.answers.has(key))
      this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(key, bytes);
  }
}

/** Answers a MemoryHeadStore keeps: a patient's history and its index pages, with room to spare. */
const MAX_MEMORY_ANSWERS = 4096;
