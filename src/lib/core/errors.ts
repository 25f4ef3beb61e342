/**
 * Named errors for the whole protocol core. Every failure the core reports is a `CoreError` with a
 * code from this list, the data needed to explain it, and what the receiver should do to the peer
 * that sent the offending bytes: `reject` (drop and penalise) or `ignore` (drop, no blame — e.g. a
 * message that is merely stale). Nothing in core throws an untyped exception on bad input.
 */

export const ERROR_CODES = {
  // encoding
  'decode/malformed': 'The bytes are not valid canonical CBOR.',
  'decode/too-large': 'The message is larger than its limit.',
  'decode/non-canonical':
    'The encoding is valid CBOR but not the one canonical form an honest signer produces.',
  'decode/schema': 'The value does not match the expected schema.',
  'decode/unknown-type': 'The type tag is not one this version knows.',
  'decode/unknown-version': 'The version is not one this software understands.',
  // crypto
  'crypto/bad-signature': 'The signature does not verify.',
  'crypto/bad-key': 'The key has the wrong length or is not a valid point.',
  'crypto/decrypt-failed': 'Decryption failed: wrong key or altered ciphertext.',
  'crypto/bad-share': 'A secret share is malformed or the shares do not combine.',
  // records
  'record/invalid-fhir': 'The record is not a valid FHIR bundle of the supported resources.',
  'record/unknown-category': 'The category code is not in the category system.',
  'record/hash-mismatch': 'The record bytes do not match the hash they were published with.',
  'record/no-key': 'No key in the envelope opens this record for this reader.',
  'record/category-mismatch': 'A diagnosis code of the record belongs to another category than the record’s.',
  // consent
  'consent/bad-signature': 'The consent token signature does not verify.',
  'consent/expired': 'The grant has expired.',
  'consent/not-yet-valid': 'The grant is not valid yet.',
  'consent/wrong-doctor': 'The grant was issued to a different doctor.',
  'consent/out-of-scope': 'The grant does not cover this category or access mode.',
  'consent/revoked': 'The grant was revoked.',
  'consent/replayed': 'This token was already used (sequence number not fresh).',
  'consent/malformed': 'The consent token or QR payload is malformed.',
  'consent/too-many-grants': 'The patient already has as many doctors with access as one account may.',
  'consent/too-many-grants-to-doctor':
    'The patient already holds as many live grants to this doctor as one account may.',
  'consent/doctor-too-many-grants': 'The doctor already holds as many grants as their account may.',
  'consent/too-large': 'The QR payload is larger than its limit.',
  // accounts / registry
  'account/unknown': 'The account is not registered.',
  'account/revoked': 'The account key was rotated or revoked.',
  'account/wrong-role': 'The account does not have the role this action needs.',
  'account/not-majority': 'Fewer than a majority of system managers approved.',
  'account/not-manager': 'An approval is not from a registered system manager.',
  'account/duplicate-approval': 'The same manager approved twice.',
  'account/exists': 'The account is already registered.',
  'account/bad-rank': 'The rank is not in the rank table.',
  // state / proofs
  'proof/invalid': 'The proof does not verify against the root.',
  'proof/wrong-key': 'The proof is for a different key.',
  // chain / consensus
  'chain/wrong-parent': 'The block does not extend the current head.',
  'chain/wrong-height': 'The block height is not the next height.',
  'chain/wrong-state-root': 'The state root in the header does not match the result of applying the block.',
  'chain/wrong-tx-root': 'The transaction root does not match the transactions.',
  'chain/wrong-validators': 'The validator-set hash does not match.',
  'chain/bad-commit': 'The commit certificate does not carry more than 2/3 of the validator weight.',
  'chain/bad-proposer': 'The block was proposed by a validator that is not the proposer for that round.',
  'chain/too-many-txs': 'The block holds more transactions than its limit.',
  'chain/replayed-tx': 'The transaction was already committed.',
  'chain/not-registered': 'The author is not registered for this action.',
  'chain/low-stake': 'The author holds less than the minimum stake.',
  'chain/few-mirrors': 'Too few storage mirrors attested the record.',
  'chain/bad-attestation': 'A mirror attestation is invalid.',
  'chain/not-authority': 'The signer is not an authority of the consortium.',
  'chain/bad-evidence': 'The evidence does not show two conflicting votes from one validator.',
  'chain/unknown-record': 'The referenced record does not exist.',
  'chain/bad-tx': 'The transaction is not valid in this state.',
  // state
  'state/bad-key': 'A state key must be exactly 32 bytes.',
  'state/bad-namespace': 'A state namespace must be 1-64 characters of a-z, 0-9 and "-".',
  'state/bad-index': 'The transaction index is outside the block.',
  // client (app, browser-only)
  'client/no-account': 'No account is stored on this device.',
  'client/locked': 'The account is locked: unlock it with the passphrase first.',
  'client/wrong-passphrase': 'The passphrase does not open the stored keys.',
  'client/weak-passphrase': 'The passphrase is too short to protect the keys.',
  'client/bad-backup': 'The file is not a carechain account backup this version can read.',
  'client/not-connected': 'The app is not connected to the carechain network.',
  'client/camera-unavailable': 'The camera cannot be opened.',
  'client/qr-not-found': 'No QR code could be read from the image.',
  // node (src/node: hospital node process)
  'node/bad-config': 'The node configuration file is missing, unreadable or invalid.',
  'node/bad-keyfile': 'A key file is missing or malformed.',
  'node/port-in-use': 'A port the node needs is already in use on this machine.',
  'node/storage-corrupt': 'Stored data failed its integrity check.',
  'node/disk-full': 'The disk holding the node’s data is full.',
  'node/storage-failed': 'The node could not read or write its data on disk.',
  'node/mempool-full': 'The mempool is full; retry later.',
  'node/rate-limited': 'Too many requests from this peer; retry later.',
  'node/duplicate-tx': 'The transaction is already pending or committed.',
  'node/blob-missing': 'The blob is not stored on this mirror.',
  'node/few-mirrors': 'Fewer mirrors than required stored the blob.',
  'node/timeout': 'The operation did not complete in time.',
  'node/no-grant': 'No grant was presented for this read.',
  'node/stale-request': 'The request time is outside the accepted window; check the device clock.',
  'node/not-permitted': 'This peer may not use this operation.',
  // chain (src/lib/core/chain: block and transaction rules)
  'chain/wrong-time':
    'The block time is not later than its parent, or a transaction time is outside the block.',
  'chain/wrong-chain': 'The block or transaction belongs to a different chain or hospital.',
  'chain/unknown-hospital': 'The hospital is not a member of the consortium.',
  'chain/no-grant': 'The referenced consent grant is not on the consortium chain.',
  'chain/bad-checkpoint': 'The hospital checkpoint does not advance past the previous one.',
  'chain/unknown-tx': 'The transaction type is not valid on this chain.',
  'chain/list-full': 'The bounded state list has no room left.',
  // net (src/lib/net: libp2p framing, protocols, rate limits)
  'net/frame-too-large': 'A frame on the stream is larger than the protocol allows.',
  'net/bad-length-prefix': 'A frame length prefix is malformed, non-minimal or zero.',
  'net/truncated': 'The stream ended in the middle of a frame.',
  'net/too-many-frames': 'The stream carried more frames than the protocol allows.',
  'net/timeout': 'The peer did not send the expected frame in time.',
  'net/stream-reset': 'The stream was reset or closed before the exchange completed.',
  'net/no-response': 'The peer closed the stream without answering.',
  'net/rate-limited': 'Too many requests or bytes from this peer; retry later.',
  'net/too-many-streams': 'Too many concurrent streams from this peer or on this protocol.',
  'net/remote-error': 'The peer answered with an error this version does not know.',
  'net/internal': 'The peer failed to serve the request (internal error).',
  'net/bad-request': 'The request is well-formed but out of the protocol bounds.',
  // accounts and records (src/lib/core/accounts, src/lib/core/records)
  'account/wrong-subject': 'The approval is for a different request than the one being checked.',
  'account/too-few-managers': 'A threshold backup needs at least two system managers.',
  'account/same-key': 'A recovery must rotate to a new key, not the one it replaces.',
  // consensus (src/lib/core/consensus)
  'consensus/wrong-chain': 'The consensus message is for another chain.',
  'consensus/not-validator': 'The signer is not in the validator set of that height.',
  'consensus/round-too-far': 'The round is too far ahead of ours to track.',
  'consensus/bad-block-id': 'The proposal block id is not the id of its block.',
  // light client (src/lib/light): what it proves a node did wrong, in words the app shows
  'light/header-unsigned':
    'The header is not signed by more than 2/3 of the validators it must be signed by.',
  'light/proof-invalid': 'The node sent a proof that does not verify against the verified header.',
  'light/record-altered': 'The record bytes do not match the hash on the hospital chain.',
  'light/index-mismatch': 'The consortium index and the hospital chain disagree about this record.',
  'light/withheld': 'The node withheld data it must have (a validator-set change, an entry, a revocation).',
  'light/stale': 'The node answered from an older state than one already verified.',
  'light/no-peers': 'No node could be reached, or every node reached was caught answering wrongly.',
  // node: break-glass reads (src/node/services.ts)
  'node/break-glass-unknown':
    'The break-glass statement is not on the consortium chain (yet): submit it, wait for it to commit, retry.',
  // node mailbox (src/node/mailbox.ts)
  'node/mailbox-full': 'The nodes hold too many requests waiting for approval; retry later.'
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What a receiver should do with the peer that sent the bytes that caused this error. */
export type PeerAction = 'reject' | 'ignore';

export class CoreError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>>;
  readonly action: PeerAction;

  constructor(code: ErrorCode, data: Record<string, unknown> = {}, action: PeerAction = 'reject') {
    const detail = typeof data.detail === 'string' ? `: ${data.detail}` : '';
    super(`${code} — ${ERROR_CODES[code]}${detail}`);
    this.name = 'CoreError';
    this.code = code;
    this.data = data;
    this.action = action;
  }
}

export function isCoreError(e: unknown, code?: ErrorCode): e is CoreError {
  return e instanceof CoreError && (code === undefined || e.code === code);
}

/** Result type for pure `verify*` functions, which return instead of throwing. */
export type Verdict = { ok: true } | { ok: false; error: CoreError };

export const OK: Verdict = Object.freeze({ ok: true });

export function fail(code: ErrorCode, data: Record<string, unknown> = {}): Verdict {
  return { ok: false, error: new CoreError(code, data) };
}
