/**
 * Consortium: a hospital added after genesis takes up its vote. The managers' `hospital-change` adds
 * the hospital; its authority counts towards the consortium's > 2/3 only from this transaction, signed
 * with the authority key itself — proof that the hospital's authority node runs. Otherwise an added
 * hospital whose node has not started yet would hold weight that cannot vote: one such takes away the
 * consortium's fault tolerance, a few stop it. Its node submits this when it starts (src/node/run.ts).
 * Valid while the hospital is active and its authority not yet in the set: once per hospital.
 */
import { PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { defineCodec, signable } from '../../encoding/codec.js';
import { header, id, signature, v } from '../../encoding/schema.js';
import { signBytes } from '../bytes.js';

export const authorityJoinSchema = v.strictObject({
  ...header(TAGS.txAuthorityJoin),
  hospital: id(),
  sig: signature
});
export type AuthorityJoin = v.InferOutput<typeof authorityJoinSchema>;
export const authorityJoinCodec = defineCodec('authority-join', authorityJoinSchema, 1024);

export function createAuthorityJoin(authoritySeed: Uint8Array, hospital: string): AuthorityJoin {
  const unsigned = { t: TAGS.txAuthorityJoin, v: PROTOCOL_VERSION, hospital };
  return authorityJoinCodec.parse({ ...unsigned, sig: sign(authoritySeed, signBytes(unsigned)) });
}

export const authorityJoinSignedBy = (tx: AuthorityJoin, authority: Uint8Array): boolean =>
  verifySignature(authority, signable(tx), tx.sig);
