/**
 * A validator-set change proof: the header at which a chain's signing set changes, its commit
 * certificate, and the new set itself (the header only holds its hash). A light client holding the
 * set for some height walks these, oldest first, to reach the latest header: the cost grows with the
 * number of set changes, not with the length of the chain. Nodes produce them, light clients check them.
 */
import { PROTOCOL_VERSION, TAGS } from '../constants.js';
import { defineCodec } from '../encoding/codec.js';
import { header, v } from '../encoding/schema.js';
import { commitCertificateSchema, validatorSetSchema } from '../consensus/types.js';
import { headerSchema, type Header } from './header.js';
import type { CommitCertificate, ValidatorSet } from '../consensus/types.js';

export const changeProofSchema = v.strictObject({
  ...header(TAGS.changeProof),
  header: headerSchema,
  commit: commitCertificateSchema,
  /** The set whose hash is header.nextValidatorsHash. */
  nextSet: validatorSetSchema
});

export type ChangeProof = v.InferOutput<typeof changeProofSchema>;

/** Header (< 1 KiB) + certificate (< 32 KiB) + set (< 16 KiB). */
export const changeProofCodec = defineCodec('change-proof', changeProofSchema, 64 * 1024);

export function makeChangeProof(h: Header, commit: CommitCertificate, nextSet: ValidatorSet): ChangeProof {
  return { t: TAGS.changeProof, v: PROTOCOL_VERSION, header: h, commit, nextSet };
}
