/**
 * Skip verification of a chain's headers. The trusted head is a header the client verified itself
 * (or the genesis it derived from the pinned hash) plus the validator set that signs the blocks after
 * it. An update is a list of validator-set change proofs since the trusted height and the latest
 * header with its certificate; it is accepted only if every step is certified by more than 2/3 of the
 * set that was in charge, and the latest header is signed by the set the walk ends with.
 */
import { CoreError } from '../core/errors.js';
import { bytesEqual } from '../core/encoding/cbor.js';
import { headerHash, type Header } from '../core/chain/header.js';
import type { ChangeProof } from '../core/chain/change-proof.js';
import {
  validatorSetHash,
  verifyCommit,
  type CommitCertificate,
  type ValidatorSet
} from '../core/consensus/types.js';

export interface TrustedHead {
  chainId: string;
  header: Header;
  /** headerHash(header), kept to avoid recomputing. */
  hash: Uint8Array;
  /** The set that signs blocks after `header` (its hash is header.nextValidatorsHash). */
  nextSet: ValidatorSet;
}

export interface HeaderUpdate {
  changes: ChangeProof[];
  latest: Header;
  /** null when the node has no certificate to give (its head is the genesis, height 0). */
  commit: CommitCertificate | null;
}

export interface SyncProgress {
  /** Change proofs verified so far and in total for this update. */
  done: number;
  total: number;
  height: number;
}

function unsigned(detail: string, data: Record<string, unknown> = {}): CoreError {
  return new CoreError('light/header-unsigned', { detail, ...data });
}

/** Checks that `cert` finalises `h` under `set`, which must be the set the header names. */
function checkSigned(h: Header, cert: CommitCertificate, set: ValidatorSet, chainId: string): Uint8Array {
  if (h.chainId !== chainId) throw unsigned('header of another chain', { chainId: h.chainId });
  if (!bytesEqual(h.validatorsHash, validatorSetHash(set)))
    throw new CoreError('light/withheld', {
      detail: 'header signed by a validator set the node did not prove',
      height: h.height
    });
  const id = headerHash(h);
  const verdict = verifyCommit(cert, set, chainId, h.height, id);
  if (!verdict.ok) throw unsigned(verdict.error.message, { height: h.height });
  return id;
}

/**
 * Verifies `update` from `trusted` and returns the new trusted head. Throws a named `light/*` error
 * saying what the node got wrong: a header not signed by 2/3, a withheld set change, or a stale head.
 */
export function verifyHeaderUpdate(
  trusted: TrustedHead,
  update: HeaderUpdate,
  onProgress?: (p: SyncProgress) => void
): TrustedHead {
  let head = trusted;
  const total = update.changes.length;
  update.changes.forEach((change, i) => {
    const h = change.header;
    if (h.height <= head.header.height)
      throw new CoreError('light/proof-invalid', { detail: 'change proofs out of order', height: h.height });
    const hash = checkSigned(h, change.commit, head.nextSet, head.chainId);
    if (!bytesEqual(validatorSetHash(change.nextSet), h.nextValidatorsHash))
      throw new CoreError('light/proof-invalid', {
        detail: 'new set does not match the header',
        height: h.height
      });
    if (h.time < head.header.time)
      throw new CoreError('light/proof-invalid', { detail: 'time went backwards' });
    head = { chainId: head.chainId, header: h, hash, nextSet: change.nextSet };
    onProgress?.({ done: i + 1, total, height: h.height });
  });

  const h = update.latest;
  if (h.height < trusted.header.height)
    throw new CoreError('light/stale', { height: h.height, trusted: trusted.header.height }, 'ignore');
  if (h.height === head.header.height) {
    if (!bytesEqual(headerHash(h), head.hash))
      throw unsigned('a different header at a height already verified', { height: h.height });
    return head;
  }
  if (update.commit === null) throw unsigned('no certificate for the latest header', { height: h.height });
  const hash = checkSigned(h, update.commit, head.nextSet, head.chainId);
  // A set change at the latest header itself must come as a change proof, with the new set.
  if (!bytesEqual(h.nextValidatorsHash, h.validatorsHash))
    throw new CoreError('light/withheld', { detail: 'the latest header changes the set without proof' });
  return { chainId: head.chainId, header: h, hash, nextSet: head.nextSet };
}
