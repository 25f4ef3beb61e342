/**
 * A mirror attestation: a storage node of the hospital states, under its own signature, that it holds
 * the blob whose SHA-256 is `mhrHash` (of `size` bytes). An append-record needs attestations from at
 * least CHAIN_LIMITS.minAttestations distinct registered mirrors of the same hospital, so a record is
 * never committed before its encrypted bytes survive the loss of one machine.
 */
import { LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { defineCodec, signable } from '../../encoding/codec.js';
import { signBytes } from '../bytes.js';
import { hash32, header, id, publicKey, signature, uint, uintMax, v } from '../../encoding/schema.js';

export const attestationSchema = v.strictObject({
  ...header(TAGS.attestation),
  hospital: id(),
  mirror: publicKey,
  mhrHash: hash32,
  size: uintMax(LIMITS.maxBlobBytes),
  time: uint(),
  sig: signature
});
export type Attestation = v.InferOutput<typeof attestationSchema>;

/** ~250 bytes; 1 KiB bounds it. */
export const attestationCodec = defineCodec('attestation', attestationSchema, 1024);

export function createAttestation(
  mirrorSeed: Uint8Array,
  mirror: Uint8Array,
  fields: { hospital: string; mhrHash: Uint8Array; size: number; time: number }
): Attestation {
  const body = { t: TAGS.attestation, v: PROTOCOL_VERSION, mirror, ...fields };
  return attestationCodec.parse({ ...body, sig: sign(mirrorSeed, signBytes(body)) });
}

export function attestationSignatureValid(a: Attestation): boolean {
  return verifySignature(a.mirror, signable(a), a.sig);
}
