/**
 * A record is believed only when three independent anchors agree: the index entry proven in the
 * consortium state (signed by 2/3 of the hospitals), the hospital block header certified by 2/3 of that
 * hospital's validator stake with the record transaction proven inside it, and SHA-256 of the bytes a
 * mirror actually sent. A hospital that alters a stored blob, or rewrites its chain, fails one of them.
 */
import { TAGS } from '../core/constants.js';
import { CoreError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { sha256 } from '../core/crypto/hash.js';
import { headerCodec, headerHash, hospitalChainId, type Header } from '../core/chain/header.js';
import { decodeHospitalTx } from '../core/chain/tx/decode.js';
import type { AppendRecord, Amendment } from '../core/chain/tx/append-record.js';
import type { IndexEntry } from '../core/chain/tx/index-batch.js';
import { commitCertificateCodec, verifyCommit, type ValidatorSet } from '../core/consensus/types.js';
import { txProofCodec, verifyTxProof } from '../core/state/tx-merkle.js';

export interface TxAnswer {
  header: Uint8Array;
  commit: Uint8Array;
  tx: Uint8Array;
  proof: Uint8Array;
}

export interface VerifiedRecordRef {
  /** The hospital header that holds the record, certified. */
  header: Header;
  tx: AppendRecord | Amendment;
  /** What was checked, for the app's "verified" badge. */
  checks: string[];
}

const invalid = (detail: string) => new CoreError('light/proof-invalid', { detail });

function parse<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw invalid(`${what}: ${(e as Error).message}`);
  }
}

/**
 * Checks a hospital's answer for the transaction an index entry points to. `setAt(height)` gives the
 * validator set in charge of that hospital chain at a height (from the client's verified set history).
 */
export function verifyRecordRef(
  tag: Uint8Array,
  entry: IndexEntry,
  answer: TxAnswer,
  setAt: (height: number) => ValidatorSet,
  /** The hash of a header of this chain at this height the client has already verified, if any. */
  verifiedAt: (height: number) => Uint8Array | undefined = () => undefined
): VerifiedRecordRef {
  const header = parse('header', () => headerCodec.decode(answer.header));
  const chainId = hospitalChainId(entry.hospital);
  if (header.chainId !== chainId || header.height !== entry.height)
    throw new CoreError('light/index-mismatch', { detail: 'the hospital block is not the one indexed' });
  const id = headerHash(header);
  const known = verifiedAt(header.height);
  // The very header already verified (another record of the same block) needs no second signature check.
  if (!known || !bytesEqual(known, id)) {
    const commit = parse('certificate', () => commitCertificateCodec.decode(answer.commit));
    const signed = verifyCommit(commit, setAt(header.height), chainId, header.height, id);
    if (!signed.ok) throw new CoreError('light/header-unsigned', { detail: signed.error.message });
  }

  const proof = parse('inclusion proof', () => txProofCodec.decode(answer.proof));
  const included = verifyTxProof(header.txRoot, answer.tx, entry.txIndex, proof.total, proof);
  if (!included.ok) throw invalid(included.error.message);

  const tx = parse('transaction', () => decodeHospitalTx(answer.tx));
  if (tx.t !== TAGS.txAppendRecord && tx.t !== TAGS.amendment)
    throw new CoreError('light/index-mismatch', { detail: 'the indexed transaction is not a record' });
  const record = tx as AppendRecord | Amendment;
  if (
    !bytesEqual(record.mhrHash, entry.mhrHash) ||
    !bytesEqual(record.tag, tag) ||
    record.blobRef !== entry.blobRef ||
    record.hospital !== entry.hospital
  )
    throw new CoreError('light/index-mismatch', { detail: 'index entry and hospital record differ' });
  return {
    header,
    tx: record,
    checks: [
      'index entry proven in the consortium state',
      `hospital block ${header.height} signed by more than 2/3 of its validators`,
      'record transaction proven inside that block',
      'record hash equal in the index and the hospital block'
    ]
  };
}

/** The last check: the bytes a mirror sent hash to what both chains say. */
export function verifyBlob(ref: VerifiedRecordRef, blob: Uint8Array): void {
  if (!bytesEqual(sha256(blob), ref.tx.mhrHash))
    throw new CoreError('light/record-altered', { record: ref.tx.blobRef });
  ref.checks.push('SHA-256 of the received bytes equals both hashes');
}
