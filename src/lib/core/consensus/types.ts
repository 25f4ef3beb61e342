/**
 * Consensus wire types: validator sets, votes, proposals, commit certificates and evidence. Each is a
 * valibot schema with its type derived from it and a bounded codec; `verify*` functions are pure and
 * return a Verdict. Signatures always cover `signable(obj)` (canonical CBOR without `sig`), and every
 * signed object carries its type tag, so a prevote can never be replayed as a precommit or a proposal.
 */
import { CHAIN_LIMITS, LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError, fail, OK, type Verdict } from '../errors.js';
import { taggedHash } from '../crypto/hash.js';
import { verifySignature } from '../crypto/ed25519.js';
import { bytesEqual, encodeCanonical } from '../encoding/cbor.js';
import { defineCodec, signable } from '../encoding/codec.js';
import { bytesMax, hash32, header, id, list, publicKey, signature, uint, v } from '../encoding/schema.js';

/** Highest single weight: stake set by rank fits easily; leaves total * 3 far below 2^53. */
export const MAX_VALIDATOR_WEIGHT = 2 ** 32;
/** Highest total weight: 256 validators at full weight is 2^40; quorum arithmetic (3 * total) stays exact. */
export const MAX_TOTAL_WEIGHT = 2 ** 40;
/** Rounds are counted in a uint; 2^31 rounds at even 1 ms each is 24 days stuck at one height. */
export const MAX_ROUND = 2 ** 31 - 1;
/**
 * An opaque encoded block inside a proposal: the whole message (block + a few hundred bytes of
 * envelope) must stay under the 4 MiB message limit.
 */
export const MAX_BLOCK_BYTES = LIMITS.maxMessageBytes - 4096;

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Validator sets

const validatorSchema = v.strictObject({
  key: publicKey,
  weight: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_VALIDATOR_WEIGHT))
});

export const validatorSetSchema = v.pipe(
  v.strictObject({ validators: list(validatorSchema, CHAIN_LIMITS.maxValidators) }),
  v.check((s) => s.validators.length > 0, 'a validator set is not empty'),
  v.check(
    (s) => s.validators.every((x, i) => i === 0 || compareBytes(s.validators[i - 1]!.key, x.key) < 0),
    'validators sorted by key, no duplicates'
  ),
  v.check(
    (s) => s.validators.reduce((n, x) => n + x.weight, 0) <= MAX_TOTAL_WEIGHT,
    `total weight at most ${MAX_TOTAL_WEIGHT}`
  )
);

export type ValidatorSet = v.InferOutput<typeof validatorSetSchema>;

/** 256 validators x ~45 bytes each. */
export const validatorSetCodec = defineCodec('validator-set', validatorSetSchema, 16 * 1024);

/** Build a valid set from unsorted entries (sorts by key; throws decode/schema on duplicates etc.). */
export function makeValidatorSet(entries: { key: Uint8Array; weight: number }[]): ValidatorSet {
  const validators = [...entries].sort((a, b) => compareBytes(a.key, b.key));
  return validatorSetCodec.parse({ validators });
}

/** Domain-separated hash of the canonical encoding; headers carry it (validatorsHash). */
export function validatorSetHash(set: ValidatorSet): Uint8Array {
  return taggedHash(TAGS.validatorSet, validatorSetCodec.encode(set));
}

export function totalWeight(set: ValidatorSet): number {
  let n = 0;
  for (const x of set.validators) n += x.weight;
  return n;
}

/** Smallest weight strictly greater than 2/3 of the total: any two quorums share > 1/3 (an honest one). */
export function quorum(set: ValidatorSet): number {
  return Math.floor((2 * totalWeight(set)) / 3) + 1;
}

/** Smallest weight strictly greater than 1/3 of the total: such a group holds at least one honest validator. */
export function oneThirdPlus(set: ValidatorSet): number {
  return Math.floor(totalWeight(set) / 3) + 1;
}

export function weightOf(set: ValidatorSet, key: Uint8Array): number {
  for (const x of set.validators) if (bytesEqual(x.key, key)) return x.weight;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Votes and proposals

export const voteTypeSchema = v.picklist(['prevote', 'precommit']);
export type VoteType = v.InferOutput<typeof voteTypeSchema>;

const roundSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ROUND));

export const voteSchema = v.strictObject({
  ...header(TAGS.vote),
  chainId: id(),
  type: voteTypeSchema,
  height: uint(),
  round: roundSchema,
  /** null is a vote for nil (no block this round). */
  blockId: v.nullable(hash32),
  validator: publicKey,
  sig: signature
});

export type Vote = v.InferOutput<typeof voteSchema>;
export type UnsignedVote = Omit<Vote, 'sig'>;

/** A vote is ~190 bytes; 512 bounds a hostile one. */
export const voteCodec = defineCodec('vote', voteSchema, 512);

export const proposalSchema = v.strictObject({
  ...header(TAGS.proposal),
  chainId: id(),
  height: uint(),
  round: roundSchema,
  /** The round in which this block got a prevote quorum (Tendermint's validRound), or -1 for none. */
  polRound: v.pipe(v.number(), v.integer(), v.minValue(-1), v.maxValue(MAX_ROUND)),
  block: bytesMax(MAX_BLOCK_BYTES),
  blockId: hash32,
  proposer: publicKey,
  sig: signature
});

export type Proposal = v.InferOutput<typeof proposalSchema>;
export type UnsignedProposal = Omit<Proposal, 'sig'>;

export const proposalCodec = defineCodec('proposal', proposalSchema, LIMITS.maxMessageBytes);

/** A consensus message on the wire: a proposal or a vote, told apart by `t`. */
export type ConsensusMessage = Proposal | Vote;

export const consensusMessageSchema = v.variant('t', [voteSchema, proposalSchema]);
export const consensusMessageCodec = defineCodec(
  'consensus-message',
  consensusMessageSchema,
  LIMITS.maxMessageBytes
);

/** The local key, injected: a seed stays wherever the driver keeps it. */
export interface Signer {
  readonly publicKey: Uint8Array;
  sign(bytes: Uint8Array): Uint8Array;
}

/** Schema byte fields are Uint8Array<ArrayBuffer>; signers and hashes may hand back any Uint8Array. */
type Bytes = Vote['sig'];
const asBytes = (b: Uint8Array): Bytes => b as Bytes;

/** The bytes a signature covers: the canonical encoding without `sig` (what `signable` computes). */
export function signBytes(obj: UnsignedVote | UnsignedProposal | Vote | Proposal): Uint8Array {
  if (!('sig' in obj)) return encodeCanonical(obj);
  const { sig: _sig, ...rest } = obj;
  return encodeCanonical(rest);
}

export function signVote(unsigned: UnsignedVote, signer: Signer): Vote {
  return { ...unsigned, sig: asBytes(signer.sign(signBytes(unsigned))) };
}

export function signProposal(unsigned: UnsignedProposal, signer: Signer): Proposal {
  return { ...unsigned, sig: asBytes(signer.sign(signBytes(unsigned))) };
}

// ---------------------------------------------------------------------------------------------
// Commit certificates

export const commitSignatureSchema = v.strictObject({ validator: publicKey, sig: signature });

export const commitCertificateSchema = v.strictObject({
  ...header(TAGS.commit),
  chainId: id(),
  height: uint(),
  round: roundSchema,
  blockId: hash32,
  /** Precommits for blockId, sorted by validator key. */
  signatures: list(commitSignatureSchema, CHAIN_LIMITS.maxValidators)
});

export type CommitCertificate = v.InferOutput<typeof commitCertificateSchema>;

/** 256 signatures x ~105 bytes plus the envelope. */
export const commitCertificateCodec = defineCodec('commit-certificate', commitCertificateSchema, 32 * 1024);

/** The precommit a certificate signature stands for. */
export function precommitOf(cert: CommitCertificate, validator: Uint8Array): UnsignedVote {
  return {
    t: TAGS.vote,
    v: PROTOCOL_VERSION,
    chainId: cert.chainId,
    type: 'precommit',
    height: cert.height,
    round: cert.round,
    blockId: cert.blockId,
    validator: asBytes(validator)
  };
}

/** Build a certificate from precommits for one block (all same chain/height/round, already verified). */
export function makeCommitCertificate(precommits: Vote[]): CommitCertificate {
  const first = precommits[0];
  if (!first || first.blockId === null)
    throw new CoreError('chain/bad-commit', { detail: 'no precommits for a block' });
  const sorted = [...precommits].sort((a, b) => compareBytes(a.validator, b.validator));
  return {
    t: TAGS.commit,
    v: PROTOCOL_VERSION,
    chainId: first.chainId,
    height: first.height,
    round: first.round,
    blockId: first.blockId,
    signatures: sorted.map((p) => ({ validator: p.validator, sig: p.sig }))
  };
}

export type SignatureCheck = (publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array) => boolean;

/**
 * Pure check that `cert` finalises `blockId` at `height` of `chainId` under `set`: strictly more than
 * 2/3 of the set's weight signed a precommit for exactly that block. Signatures must be sorted by
 * validator key (which also rules out duplicates) and come from members of the set.
 */
export function verifyCommit(
  cert: CommitCertificate,
  set: ValidatorSet,
  chainId: string,
  height: number,
  blockId: Uint8Array,
  check: SignatureCheck = verifySignature
): Verdict {
  const bad = (detail: string, more: Record<string, unknown> = {}) =>
    fail('chain/bad-commit', { detail, height, ...more });
  try {
    commitCertificateCodec.parse(cert);
  } catch (e) {
    return bad(`malformed: ${(e as Error).message}`);
  }
  if (cert.chainId !== chainId) return bad('wrong chain');
  if (cert.height !== height) return bad('wrong height');
  if (!bytesEqual(cert.blockId, blockId)) return bad('wrong block');
  let signed = 0;
  for (let i = 0; i < cert.signatures.length; i++) {
    const s = cert.signatures[i]!;
    if (i > 0 && compareBytes(cert.signatures[i - 1]!.validator, s.validator) >= 0)
      return bad('duplicate or unsorted signer');
    const w = weightOf(set, s.validator);
    if (w === 0) return bad('unknown validator');
    if (!check(s.validator, signBytes(precommitOf(cert, s.validator)), s.sig))
      return bad('bad signature', { index: i });
    signed += w;
  }
  if (signed < quorum(set)) return bad('not more than 2/3 of the weight', { signed, needed: quorum(set) });
  return OK;
}

// ---------------------------------------------------------------------------------------------
// Evidence

export const evidenceSchema = v.strictObject({
  ...header(TAGS.evidence),
  voteA: voteSchema,
  voteB: voteSchema
});

export type Evidence = v.InferOutput<typeof evidenceSchema>;

export const evidenceCodec = defineCodec('evidence', evidenceSchema, 1024);

/**
 * Two conflicting votes in canonical order (voteA's encoding sorts first), so one equivocation has
 * exactly one evidence encoding and a chain can refuse the same evidence twice.
 */
export function makeEvidence(a: Vote, b: Vote): Evidence {
  const [voteA, voteB] = compareBytes(voteCodec.encode(a), voteCodec.encode(b)) < 0 ? [a, b] : [b, a];
  return { t: TAGS.evidence, v: PROTOCOL_VERSION, voteA, voteB };
}

/** Hash that names one piece of evidence (for de-duplication on chain). */
export function evidenceId(ev: Evidence): Uint8Array {
  return taggedHash(TAGS.evidence, evidenceCodec.encode(ev));
}

/**
 * Pure check that `ev` proves equivocation by a member of `set` (the set of the votes' height): two
 * validly signed votes for the same chain, height, round and type from one validator, for different
 * blocks (nil counts as a block choice).
 */
export function verifyEvidence(
  ev: Evidence,
  set: ValidatorSet,
  check: SignatureCheck = verifySignature
): Verdict {
  const bad = (detail: string) => fail('chain/bad-evidence', { detail });
  try {
    evidenceCodec.parse(ev);
  } catch (e) {
    return bad(`malformed: ${(e as Error).message}`);
  }
  const { voteA: a, voteB: b } = ev;
  if (a.chainId !== b.chainId || a.height !== b.height || a.round !== b.round || a.type !== b.type)
    return bad('votes are for different slots');
  if (!bytesEqual(a.validator, b.validator)) return bad('votes are from different validators');
  const sameBlock =
    a.blockId === null || b.blockId === null ? a.blockId === b.blockId : bytesEqual(a.blockId, b.blockId);
  if (sameBlock) return bad('votes do not conflict');
  if (compareBytes(voteCodec.encode(a), voteCodec.encode(b)) >= 0) return bad('votes not in canonical order');
  if (weightOf(set, a.validator) === 0) return bad('not a validator of this set');
  if (!check(a.validator, signable(a), a.sig) || !check(b.validator, signable(b), b.sig))
    return bad('bad signature');
  return OK;
}
