/**
 * A mirror attestation: a storage node of the hospital states, under its own signature, that it holds
 * the blob whose SHA-256 is `mhrHash` (of `size` bytes). An append-record needs attestations from at
 * least CHAIN_LIMITS.minAttestations distinct registered mirrors of the same hospital, so a record is
 * never committed before its encrypted bytes survive the loss of one machine.
 *
 * Two forms, both accepted by the chain rule:
 * - single (`cc/attestation`): one signature over one blob — the original form; chains written with
 *   it still replay, and a mirror may still answer a re-attest request with it.
 * - batched (`cc/attestation-batch`): a mirror group-commits the blobs it stored within a few
 *   milliseconds and signs ONE root over them — a Merkle tree (tx-merkle's RFC 6962 shape, count
 *   bound into the root) of the leaves (mhrHash, size). Each blob's attestation carries that signed
 *   root plus its own inclusion path. Every validator checks each record's attestations; with the
 *   batched form the signature is the same (key, message, sig) for every blob of the batch, so a
 *   node's verification cache checks it once per batch instead of once per blob, and the per-record
 *   cost is a few hashes. A batch of one is a root over one leaf with an empty path.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { concatBytes, utf8Bytes } from '../../crypto/hash.js';
import { defineCodec, signable } from '../../encoding/codec.js';
import { encodeCanonical } from '../../encoding/cbor.js';
import { TxMerkleTree, verifyTxProof, type TxProof } from '../../state/tx-merkle.js';
import { signBytes } from '../bytes.js';
import { hash32, header, id, list, publicKey, signature, uint, uintMax, v } from '../../encoding/schema.js';

/**
 * Blobs under one signed root. A mirror fills a batch in a few milliseconds of concurrent stores; 64
 * keeps a path at 6 hashes (~200 bytes per attestation, two or more in every record tx) while one
 * signature still covers dozens of blobs under load.
 */
export const ATTEST_BATCH_MAX = 64;
/** Longest inclusion path in a batch of ATTEST_BATCH_MAX leaves. */
export const ATTEST_PATH_MAX = Math.ceil(Math.log2(ATTEST_BATCH_MAX));

const attested = {
  hospital: id(),
  mirror: publicKey,
  mhrHash: hash32,
  size: uintMax(LIMITS.maxBlobBytes),
  time: uint(),
  sig: signature
};

export const singleAttestationSchema = v.strictObject({ ...header(TAGS.attestation), ...attested });
export type SingleAttestation = v.InferOutput<typeof singleAttestationSchema>;

export const batchAttestationSchema = v.pipe(
  v.strictObject({
    ...header(TAGS.attestationBatch),
    ...attested,
    /** Leaves under `root`; the root binds it, so a path cannot be replayed as another count. */
    count: v.pipe(uintMax(ATTEST_BATCH_MAX), v.minValue(1)),
    root: hash32,
    index: uintMax(ATTEST_BATCH_MAX - 1),
    /** Sibling hashes from this blob's leaf up to the root. */
    path: list(hash32, ATTEST_PATH_MAX)
  }),
  v.check((a) => a.index < a.count, 'index must be below count')
);
export type BatchAttestation = v.InferOutput<typeof batchAttestationSchema>;

export const attestationSchema = v.variant('t', [singleAttestationSchema, batchAttestationSchema]);
export type Attestation = SingleAttestation | BatchAttestation;

/** A single one is ~250 bytes, a batched one with a 6-hash path ~500; 1 KiB bounds both. */
export const attestationCodec = defineCodec('attestation', attestationSchema, 1024);

export function createAttestation(
  mirrorSeed: Uint8Array,
  mirror: Uint8Array,
  fields: { hospital: string; mhrHash: Uint8Array; size: number; time: number }
): SingleAttestation {
  const body = { t: TAGS.attestation, v: PROTOCOL_VERSION, mirror, ...fields };
  return attestationCodec.parse({ ...body, sig: sign(mirrorSeed, signBytes(body)) }) as SingleAttestation;
}

/** The bytes a batch leaf stands for: a domain prefix, the blob hash and its size (u64 big-endian). */
export function attestationLeaf(mhrHash: Uint8Array, size: number): Uint8Array {
  const n = new Uint8Array(8);
  new DataView(n.buffer).setBigUint64(0, BigInt(size));
  return concatBytes(LEAF_PREFIX, mhrHash, n);
}
const LEAF_PREFIX = utf8Bytes(TAGS.attestationLeaf);

/** What the mirror signs for a batch: everything but the per-blob leaf, index and path. */
function rootMessage(a: {
  hospital: string;
  mirror: Uint8Array;
  root: Uint8Array;
  count: number;
  time: number;
}): Uint8Array {
  return encodeCanonical({
    t: TAGS.attestationRoot,
    v: PROTOCOL_VERSION,
    hospital: a.hospital,
    mirror: a.mirror,
    root: a.root,
    count: a.count,
    time: a.time
  });
}

/**
 * Sign one root over `blobs` (1..ATTEST_BATCH_MAX) and return one attestation per blob, in order.
 * Costs one signature and ~2n hashes whatever n is.
 */
export function createBatchAttestations(
  mirrorSeed: Uint8Array,
  mirror: Uint8Array,
  fields: { hospital: string; time: number },
  blobs: readonly { mhrHash: Uint8Array; size: number }[]
): BatchAttestation[] {
  if (blobs.length < 1 || blobs.length > ATTEST_BATCH_MAX)
    throw new RangeError(`a batch holds 1..${ATTEST_BATCH_MAX} blobs, not ${blobs.length}`);
  const tree = TxMerkleTree.from(blobs.map((b) => attestationLeaf(b.mhrHash, b.size)));
  const head = {
    mirror,
    hospital: fields.hospital,
    time: fields.time,
    root: tree.root(),
    count: blobs.length
  };
  const sig = sign(mirrorSeed, rootMessage(head));
  return blobs.map((b, index) =>
    v.parse(batchAttestationSchema, {
      t: TAGS.attestationBatch,
      v: PROTOCOL_VERSION,
      ...head,
      mhrHash: b.mhrHash,
      size: b.size,
      index,
      path: tree.prove(index).path,
      sig
    })
  );
}

/**
 * The blob (mhrHash, size) is leaf `index` of the `count` under `root`. Pure; a path for another
 * leaf, position, count or root is refused.
 */
export function attestationPathValid(a: BatchAttestation): boolean {
  if (a.count > ATTEST_BATCH_MAX) return false;
  const proof: TxProof = {
    t: TAGS.txProof,
    v: PROTOCOL_VERSION,
    index: a.index,
    total: a.count,
    path: a.path
  };
  return verifyTxProof(a.root, attestationLeaf(a.mhrHash, a.size), a.index, a.count, proof).ok;
}

/**
 * Signed batch roots this process has already checked, keyed by every field the signature covers
 * and the signature itself. All blobs of a batch carry the same signed root, so a validator encodes
 * the signed message and checks the signature once per batch, not once per blob; each blob's own
 * path is still checked. Only successes are kept; the oldest go first.
 */
const rootsChecked = new Set<string>();
/** A few seconds of batches from every mirror of a busy hospital. */
export const ROOTS_CHECKED_MAX = 4096;

const latin = (b: Uint8Array) => String.fromCharCode.apply(null, b as unknown as number[]);
const rootKey = (a: BatchAttestation) =>
  `${a.hospital}\0${a.count}\0${a.time}\0${latin(a.mirror)}${latin(a.root)}${latin(a.sig)}`;

function rootSignatureValid(a: BatchAttestation): boolean {
  const key = rootKey(a);
  if (rootsChecked.has(key)) return true;
  if (!verifySignature(a.mirror, rootMessage(a), a.sig)) return false;
  if (rootsChecked.size >= ROOTS_CHECKED_MAX) rootsChecked.delete(rootsChecked.values().next().value!);
  rootsChecked.add(key);
  return true;
}

/** The mirror's signature holds, and for a batched attestation the blob is under the signed root. */
export function attestationSignatureValid(a: Attestation): boolean {
  if (a.t === TAGS.attestation) return verifySignature(a.mirror, signable(a), a.sig);
  return attestationPathValid(a) && rootSignatureValid(a);
}
