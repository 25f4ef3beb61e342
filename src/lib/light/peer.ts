/**
 * A `LightPeer` over libp2p: one hospital node reached through the carechain protocols (src/lib/net).
 * Every answer is parsed here, once and strictly, with the core codecs; a node whose bytes do not
 * parse is lying or broken and is reported as `light/proof-invalid` (or `light/record-altered` for a
 * blob), which makes the client drop it. A named refusal (consent revoked, rate limited, …) passes
 * through as the CoreError the node sent. Checking what the parsed answer *means* is the client's job.
 */
import type { Multiaddr } from '@multiformats/multiaddr';
import { TAGS } from '../core/constants.js';
import { CoreError, isCoreError } from '../core/errors.js';
import { decodeCanonical } from '../core/encoding/cbor.js';
import { bytesMax, v } from '../core/encoding/schema.js';
import { blockCodec } from '../core/chain/block.js';
import { changeProofCodec, makeChangeProof, type ChangeProof } from '../core/chain/change-proof.js';
import { headerCodec, type Header } from '../core/chain/header.js';
import {
  commitCertificateCodec,
  validatorSetCodec,
  type CommitCertificate
} from '../core/consensus/types.js';
import { proveTx, txProofCodec } from '../core/state/tx-merkle.js';
import type { Rng } from '../core/crypto/random.js';
import { requestHeader } from '../net/header.js';
import { requestStateProof } from '../net/state-proof.js';
import { requestTxProof } from '../net/tx-proof.js';
import { requestBlockSync } from '../net/block-sync.js';
import { requestBlob, signBlobAuth, type BlobAuth } from '../net/blob.js';
import { requestRecords } from '../net/record-fetch.js';
import { requestEmergencyList, type EmergencyCursor, type EmergencyList } from '../net/emergency-list.js';
import { sha256 } from '../core/crypto/hash.js';
import type { NetHost } from '../net/rpc.js';
import type { BlobAccess, LightPeer, RecordAnswer } from './client.js';
import type { StateAnswer } from './proofs.js';
import type { TxAnswer } from './records.js';

export interface BlobSigner {
  signingSeed: Uint8Array;
  signingPublic: Uint8Array;
}

export interface Libp2pPeerOptions {
  host: NetHost;
  /** The node's addresses, each ending in /p2p/<peer id> (from its HTTP `GET /addrs`). */
  addrs: Multiaddr[];
  /** Signs blob authorisations; without it the peer cannot read blobs. */
  signer?: BlobSigner;
  /** Wall clock (ms since epoch) for blob authorisations: the node accepts a window around its own. */
  now: () => number;
  /** Nonces for blob authorisations. */
  rng: Rng;
  /** Opens a connection without a request (libp2p `dial`), for `connect()`. */
  dial?: (addrs: Multiaddr[]) => Promise<unknown>;
}

const ZERO_TX_HASH = new Uint8Array(32);

function lie(what: string, e: unknown): CoreError {
  return new CoreError('light/proof-invalid', {
    detail: `${what}: ${e instanceof Error ? e.message : String(e)}`
  });
}

/** Parses bytes a node sent; any failure is the node's lie, named. */
function parse<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isCoreError(e) && e.code.startsWith('light/')) throw e;
    throw lie(what, e);
  }
}

/** An honest node never breaks framing or encoding: those failures are lies, not outages. */
function isMalformed(e: unknown): boolean {
  return (
    isCoreError(e) &&
    !e.data['remote'] &&
    (e.code.startsWith('decode/') ||
      e.code === 'net/frame-too-large' ||
      e.code === 'net/bad-length-prefix' ||
      e.code === 'net/too-many-frames')
  );
}

async function guarded<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isMalformed(e)) throw lie(what, e);
    throw e;
  }
}

/**
 * The node (src/node/history.ts) currently encodes a set change as {t: cc/validator-set, block, cert,
 * validators} rather than a ChangeProof. Transitional: accepted, strictly, until it sends ChangeProofs.
 */
const nodeChangeSchema = v.strictObject({
  t: v.literal(TAGS.validatorSet),
  block: bytesMax(4 * 1024 * 1024),
  cert: bytesMax(32 * 1024),
  validators: bytesMax(16 * 1024)
});

/** Largest change proof the header protocol carries (MAX_CHANGE_BYTES in net/header.ts). */
const MAX_CHANGE_BYTES = 64 * 1024;

export function decodeChange(bytes: Uint8Array): ChangeProof {
  return parse('validator-set change', () => {
    const value = decodeCanonical(bytes, MAX_CHANGE_BYTES) as { t?: unknown };
    if (value?.t === TAGS.changeProof) return changeProofCodec.parse(value);
    const legacy = v.parse(nodeChangeSchema, value);
    if (legacy.validators.length === 0)
      throw new CoreError('light/withheld', { detail: 'set change without the new set' });
    return makeChangeProof(
      blockCodec.decode(legacy.block).header,
      commitCertificateCodec.decode(legacy.cert),
      validatorSetCodec.decode(legacy.validators)
    );
  });
}

export class Libp2pLightPeer implements LightPeer {
  readonly id: string;

  constructor(private readonly opts: Libp2pPeerOptions) {
    const pid = opts.addrs[0]?.getComponents().findLast((c) => c.name === 'p2p')?.value;
    if (!pid) throw new CoreError('net/bad-request', { detail: 'node address without /p2p/ peer id' });
    this.id = pid;
  }

  connect(): void {
    // A failed early dial is not an answer: the first request dials again and reports what happens.
    this.opts.dial?.(this.opts.addrs).catch(() => undefined);
  }

  async header(
    chainId: string,
    trustedHeight: number
  ): Promise<{ latest: Header; commit: CommitCertificate | null; changes: ChangeProof[] }> {
    const ask = () =>
      guarded('header', () =>
        requestHeader(this.opts.host, this.opts.addrs, {
          t: TAGS.netHeaderRequest,
          v: 1,
          chainId,
          trustedHeight
        })
      );
    let res = await ask();
    let latest = parse('header', () => headerCodec.decode(res.header));
    // A node whose head moved while it answered can pair a header with the previous height: ask once
    // more before calling it a lie (src/node/services.ts reads the two at different moments).
    if (latest.height !== res.height) {
      res = await ask();
      latest = parse('header', () => headerCodec.decode(res.header));
    }
    if (latest.height !== res.height)
      throw new CoreError('light/proof-invalid', { detail: 'header height differs from the answer' });
    const commit =
      res.commit.length === 0 ? null : parse('certificate', () => commitCertificateCodec.decode(res.commit));
    return { latest, commit, changes: res.validatorChanges.map(decodeChange) };
  }

  async state(chainId: string, key: Uint8Array, height: number): Promise<StateAnswer> {
    const ask = (at: number | null) =>
      guarded('state', () =>
        requestStateProof(this.opts.host, this.opts.addrs, {
          t: TAGS.netStateRequest,
          v: 1,
          chainId,
          key: key as never,
          height: at
        })
      );
    try {
      return await ask(height);
    } catch (e) {
      // A node keeps state for recent heights only: for an older one, its latest answer (which the
      // client then verifies against a newer header) is the useful one.
      if (isCoreError(e) && e.code === 'proof/invalid' && e.data['remote']) return ask(null);
      throw e;
    }
  }

  async txProof(chainId: string, height: number, txIndex: number): Promise<TxAnswer> {
    try {
      const res = await guarded('tx-proof', () =>
        requestTxProof(this.opts.host, this.opts.addrs, {
          t: TAGS.netTxProofRequest,
          v: 1,
          chainId,
          height,
          txHash: ZERO_TX_HASH as never,
          txIndex
        })
      );
      return { header: res.header, commit: res.commit, tx: res.tx, proof: res.proof };
    } catch (e) {
      // A node that answers only by hash refuses a request by index: prove from the whole block.
      if (isCoreError(e) && e.code === 'chain/unknown-record' && e.data['remote'])
        return this.txProofFromBlock(chainId, height, txIndex);
      throw e;
    }
  }

  /**
   * The inclusion proof computed here from the block the node sent: as sound as the node's own, since
   * the client checks it against the header's transaction root, which the certificate signs.
   */
  private async txProofFromBlock(chainId: string, height: number, txIndex: number): Promise<TxAnswer> {
    const [res] = await guarded('block', () =>
      requestBlockSync(this.opts.host, this.opts.addrs, {
        t: TAGS.netSyncRequest,
        v: 1,
        chainId,
        from: height,
        count: 1
      })
    );
    if (!res || res.height !== height)
      throw new CoreError('light/withheld', { detail: 'the node did not send the indexed block', height });
    const block = parse('block', () => blockCodec.decode(res.block));
    const tx = block.txs[txIndex];
    if (!tx) throw new CoreError('light/index-mismatch', { detail: 'the block has no such transaction' });
    return {
      header: headerCodec.encode(block.header),
      commit: res.commit,
      tx,
      proof: txProofCodec.encode(proveTx(block.txs, txIndex))
    };
  }

  /** A signed read authorisation for `hash` at this node (blob.ts), or the refusal to make one. */
  private auth(hash: Uint8Array, access?: BlobAccess): BlobAuth {
    const signer = this.opts.signer;
    if (!signer || !access)
      throw new CoreError('consent/out-of-scope', { detail: 'no reader identity for blob reads' }, 'ignore');
    return signBlobAuth(
      {
        t: TAGS.netBlobAuth,
        v: 1,
        hash: hash as never,
        node: this.id,
        requester: signer.signingPublic as never,
        grantId: access.grantId as never,
        capability: access.capability as never,
        breakGlass: (access.breakGlass ?? null) as never,
        time: this.opts.now(),
        nonce: this.opts.rng(16) as never
      },
      signer.signingSeed
    );
  }

  async blob(hash: Uint8Array, access?: BlobAccess): Promise<Uint8Array> {
    const auth = this.auth(hash, access);
    try {
      return await guarded('blob', () => requestBlob(this.opts.host, this.opts.addrs, auth));
    } catch (e) {
      if (isCoreError(e) && e.code === 'record/hash-mismatch')
        throw new CoreError('light/record-altered', { detail: 'the node sent bytes of another hash' });
      throw e;
    }
  }

  /**
   * Break-glass: one page of this node's list of the statement's patient's records, older than
   * `before` when given (net/emergency-list.ts).
   */
  async emergencyList(statement: Uint8Array, before: EmergencyCursor | null = null): Promise<EmergencyList> {
    const auth = this.auth(sha256(statement), { capability: null, grantId: null, breakGlass: statement });
    return guarded('emergency-list', () =>
      requestEmergencyList(this.opts.host, this.opts.addrs, {
        t: TAGS.netEmergencyListRequest,
        v: 1,
        auth,
        before
      })
    );
  }

  /** False once the node said it does not speak the record protocol (an older node). */
  private recordProtocol = true;

  /**
   * Several records' block proofs and blobs in one request (net/record-fetch.ts): each result is the
   * answer or the node's refusal for that record. Null when the node does not speak the protocol (an
   * older node; not asked again): the client then asks it record by record.
   */
  async records(
    items: { chainId: string; height: number; txIndex: number; hash: Uint8Array }[],
    access?: BlobAccess
  ): Promise<(RecordAnswer | CoreError)[] | null> {
    if (!this.recordProtocol) return null;
    const signed = items.map((i) => ({
      chainId: i.chainId,
      height: i.height,
      txIndex: i.txIndex,
      auth: this.auth(i.hash, access)
    }));
    try {
      return await guarded('record', () => requestRecords(this.opts.host, this.opts.addrs, signed));
    } catch (e) {
      if (isCoreError(e) && e.code === 'record/hash-mismatch')
        throw new CoreError('light/record-altered', { detail: 'the node sent bytes of another hash' });
      if (!isUnsupported(e)) throw e;
      this.recordProtocol = false;
      return null;
    }
  }

  /**
   * One record's block proof and blob: in one request where the node speaks the record protocol,
   * otherwise a transaction proof and a blob, asked at once.
   */
  async record(
    chainId: string,
    height: number,
    txIndex: number,
    hash: Uint8Array,
    access?: BlobAccess
  ): Promise<RecordAnswer> {
    const got = await this.records([{ chainId, height, txIndex, hash }], access);
    if (got) {
      if (got[0] instanceof CoreError) throw got[0];
      return got[0]!;
    }
    const [proof, blob] = await Promise.all([
      this.txProof(chainId, height, txIndex),
      this.blob(hash, access)
    ]);
    return { ...proof, blob };
  }
}

/** libp2p's answer when the node does not speak a protocol (multistream-select said "na"). */
function isUnsupported(e: unknown): boolean {
  return e instanceof Error && e.name === 'UnsupportedProtocolError';
}
