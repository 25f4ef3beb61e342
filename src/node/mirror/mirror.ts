/**
 * The hospital's mirrored record storage. A storage mirror keeps encrypted blobs (it cannot read them)
 * and, once a blob is durably on its disk, signs an attestation — the object the hospital chain's
 * append-record rule counts. A record is written only with attestations from at least
 * CHAIN_LIMITS.minAttestations distinct mirrors, so its bytes survive the loss of any one machine.
 *
 * Reads go to any mirror holding the blob. A mirror that was down catches up by `repair`: it walks the
 * records committed on the hospital chain (the authoritative list of what must exist) and fetches each
 * blob it lacks from the other mirrors, checking the hash before storing.
 *
 * A mirror keeps a reserve of free disk for its chains: below it, it refuses new blobs (and pauses
 * repair) with node/disk-full instead of filling the disk, which would stop the whole node — its
 * votes and its reads with it. Records then go to the hospital's other mirrors.
 */
import { CHAIN_LIMITS } from '../../lib/core/constants.js';
import {
  ATTEST_BATCH_MAX,
  createBatchAttestations,
  type Attestation
} from '../../lib/core/chain/tx/attestation.js';
import { sha256, toHex } from '../../lib/core/crypto/index.js';
import { bytesEqual } from '../../lib/core/encoding/cbor.js';
import { CoreError } from '../../lib/core/errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { NodeKey } from '../keys.js';
import type { Logger } from '../log.js';

/** The MHR hash: SHA-256 of the stored ciphertext (what the record tx and the index carry). */
export const mhrHashOf = (blob: Uint8Array): Uint8Array => sha256(blob);

/** How a node reaches one mirror: in-process for itself, over the libp2p blob protocol for others. */
export interface MirrorClient {
  readonly id: string;
  store(blob: Uint8Array): Promise<Attestation>;
  fetch(hash: Uint8Array): Promise<Uint8Array | undefined>;
}

/**
 * How long a mirror waits for more stored blobs before signing their batch. A client may store ~50
 * blobs/s (the per-peer request rate), so with a handful of busy clients 20 ms gathers ~10 blobs under
 * one signature, and every validator checks one signature per batch instead of one per blob. At light
 * load it adds at most this to a store's answer, which a doctor's save never notices.
 */
export const ATTEST_WINDOW_MS = 20;

/** What a mirror needs to know of its disk: free bytes now, and how many to leave to the chains. */
export interface MirrorDisk {
  freeBytes(): number;
  readonly reserveBytes: number;
}

export interface MirrorOptions {
  now?: () => number;
  windowMs?: number;
  /** Without one (tests), the mirror writes until the disk itself refuses. */
  disk?: MirrorDisk;
}

interface Waiting {
  mhrHash: Uint8Array;
  size: number;
  resolve: (a: Attestation) => void;
  reject: (e: unknown) => void;
}

export class Mirror {
  /** Blobs durably stored and waiting for their batch's signature (at most ATTEST_BATCH_MAX). */
  private waiting: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly disk: MirrorDisk | undefined;

  constructor(
    private readonly hospital: string,
    private readonly key: NodeKey,
    readonly blobs: BlobStore,
    opts: MirrorOptions = {}
  ) {
    this.now = opts.now ?? Date.now;
    this.windowMs = opts.windowMs ?? ATTEST_WINDOW_MS;
    this.disk = opts.disk;
  }

  /**
   * Store durably, then attest (group-committed: see attestation.ts). The attestation is never signed
   * for bytes not yet on disk: a blob joins a batch only after its write. Below the disk reserve a
   * blob this mirror does not already hold is refused.
   */
  async store(blob: Uint8Array): Promise<Attestation> {
    const mhrHash = mhrHashOf(blob);
    const full = this.overReserve(blob.length);
    if (full) {
      if (!(await this.blobs.has(mhrHash))) throw full;
    } else await this.blobs.put(mhrHash, blob);
    return this.join(mhrHash, blob.length);
  }

  /** The refusal if writing `bytes` more would eat into the disk reserve, else undefined. */
  overReserve(bytes: number): CoreError | undefined {
    if (!this.disk) return undefined;
    const free = this.disk.freeBytes();
    if (free - bytes >= this.disk.reserveBytes) return undefined;
    return new CoreError('node/disk-full', {
      freeBytes: free,
      reserveBytes: this.disk.reserveBytes,
      detail:
        'this mirror keeps its last free disk space for its chains and takes no new blobs; ' +
        'records go to the other mirrors until space is freed'
    });
  }

  /**
   * Attest a blob already on disk again (a writer lost its attestation, or needs a fresh one): it
   * joins the next batch like a new store. Undefined if this mirror does not hold it.
   */
  async attest(mhrHash: Uint8Array): Promise<Attestation | undefined> {
    const blob = await this.blobs.get(mhrHash);
    return blob && this.join(mhrHash, blob.length);
  }

  private join(mhrHash: Uint8Array, size: number): Promise<Attestation> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ mhrHash, size, resolve, reject });
      if (this.waiting.length >= ATTEST_BATCH_MAX) this.sign();
      else this.timer ??= setTimeout(() => this.sign(), this.windowMs);
    });
  }

  private sign() {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0, ATTEST_BATCH_MAX);
    if (this.waiting.length) this.timer = setTimeout(() => this.sign(), this.windowMs);
    if (batch.length === 0) return;
    try {
      const atts = createBatchAttestations(
        this.key.seed,
        this.key.publicKey,
        { hospital: this.hospital, time: this.now() },
        batch
      );
      batch.forEach((w, i) => w.resolve(atts[i]!));
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }

  fetch(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.blobs.get(hash);
  }

  /** This mirror as a client (the node's own mirror needs no network hop). */
  asClient(): MirrorClient {
    return { id: toHex(this.key.publicKey), store: (b) => this.store(b), fetch: (h) => this.fetch(h) };
  }

  /**
   * Fetch every committed blob this mirror lacks from `peers`. Returns what was repaired and what no
   * peer could supply (kept for the next pass: a peer may be down too), or what did not fit above the
   * disk reserve.
   */
  async repair(
    committed: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    peers: MirrorClient[],
    log?: Logger
  ): Promise<{ repaired: number; missing: Uint8Array[] }> {
    let repaired = 0;
    const missing: Uint8Array[] = [];
    let paused = false;
    for await (const hash of committed) {
      if (await this.blobs.has(hash)) continue;
      // Out of room: keep the rest for a later pass rather than fill the disk.
      paused ||= this.overReserve(0) !== undefined;
      if (paused) {
        missing.push(hash);
        continue;
      }
      let got = false;
      for (const p of peers) {
        try {
          const blob = await p.fetch(hash);
          if (blob && bytesEqual(mhrHashOf(blob), hash)) {
            if (this.overReserve(blob.length)) {
              paused = true;
              break;
            }
            await this.blobs.put(hash, blob);
            got = true;
            break;
          }
          if (blob) log?.warn('mirror served bytes that do not match the hash', { peer: p.id, hash });
        } catch (e) {
          log?.debug('repair fetch failed', { peer: p.id, error: (e as Error).message });
        }
      }
      if (got) repaired++;
      else missing.push(hash);
    }
    if (paused)
      log?.warn('mirror repair paused: free disk is below the reserve', { missing: missing.length });
    if (repaired || missing.length) log?.info('mirror repair pass', { repaired, missing: missing.length });
    return { repaired, missing };
  }
}

/**
 * Send a blob to every mirror at once; resolve with the attestations as soon as `min` distinct mirrors
 * attested (the rest finish in the background), or fail with `node/few-mirrors` if too few can.
 */
export function replicate(
  blob: Uint8Array,
  mirrors: MirrorClient[],
  min: number = CHAIN_LIMITS.minAttestations,
  timeoutMs = 10_000
): Promise<Attestation[]> {
  const hash = mhrHashOf(blob);
  return new Promise((resolve, reject) => {
    const got: Attestation[] = [];
    const errors: string[] = [];
    let settled = false;
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (got.length >= min) resolve(got.slice());
      else
        reject(
          new CoreError('node/few-mirrors', {
            needed: min,
            got: got.length,
            detail: errors.join('; ') || 'timeout'
          })
        );
    };
    if (mirrors.length < min) return finish();
    let pending = mirrors.length;
    for (const m of mirrors) {
      m.store(blob).then(
        (a) => {
          if (!bytesEqual(a.mhrHash, hash)) errors.push(`${m.id}: attested another hash`);
          else if (!got.some((g) => bytesEqual(g.mirror, a.mirror))) got.push(a);
          if (got.length >= min || --pending === 0) finish();
        },
        (e: unknown) => {
          errors.push(`${m.id}: ${(e as Error).message}`);
          if (--pending === 0) finish();
        }
      );
    }
  });
}

/** Read from the first mirror that has the blob with the right hash. */
export async function readAny(hash: Uint8Array, mirrors: MirrorClient[]): Promise<Uint8Array> {
  for (const m of mirrors) {
    try {
      const b = await m.fetch(hash);
      if (b && bytesEqual(mhrHashOf(b), hash)) return b;
    } catch {
      // try the next mirror
    }
  }
  throw new CoreError('node/blob-missing', { hash: toHex(hash) }, 'ignore');
}
