/**
 * The block header, shared by the hospital chains and the consortium. It commits to everything a light
 * client needs without replaying blocks: the transactions (txRoot), the state after them (stateRoot),
 * and the validator set that signs this block and the one that signs the next, so a client holding a
 * trusted header can follow set changes one certificate at a time.
 */
import { TAGS } from '../constants.js';
import { taggedHash } from '../crypto/hash.js';
import { defineCodec } from '../encoding/codec.js';
import { encodeCanonical } from '../encoding/cbor.js';
import { hash32, header, id, publicKey, uint, v } from '../encoding/schema.js';

/** 'consortium' or 'hospital:<hospital id>'. */
export const CONSORTIUM_CHAIN_ID = 'consortium';
export const hospitalChainId = (hospitalId: string): string => `hospital:${hospitalId}`;

/** The hospital a chain id names ('' for the consortium or any other chain). */
export const hospitalOfChain = (chainId: string): string =>
  chainId.startsWith('hospital:') ? chainId.slice('hospital:'.length) : '';

export const ZERO_HASH = new Uint8Array(32);

export const headerSchema = v.strictObject({
  ...header(TAGS.header),
  chainId: id(),
  height: uint(),
  /** ms since epoch, strictly greater than the parent's. */
  time: uint(),
  /** headerHash of the previous block; all zero at genesis (height 0). */
  parent: hash32,
  txRoot: hash32,
  /** Root of the state AFTER this block's transactions. */
  stateRoot: hash32,
  /** validatorSetHash of the set whose commit certificate finalises this block. */
  validatorsHash: hash32,
  /** validatorSetHash of the set that will sign the next block (from this block's post-state). */
  nextValidatorsHash: hash32,
  /** The validator that proposed the block; all zero at genesis. */
  proposer: publicKey
});

export type Header = v.InferOutput<typeof headerSchema>;

/** A header is a few hundred bytes; 1 KiB bounds a hostile one. */
export const HEADER_MAX_BYTES = 1024;
export const headerCodec = defineCodec('header', headerSchema, HEADER_MAX_BYTES);

/** The block id: what validators vote for and commit certificates sign. */
export function headerHash(h: Header): Uint8Array {
  return taggedHash(TAGS.header, encodeCanonical(headerCodec.parse(h)));
}
