/**
 * Consortium: emergency (break-glass) access. A doctor states a reason and a second doctor co-signs;
 * the event is public on the consortium and listed for the patient, so an emergency read is never
 * silent. Both sign the same bytes: the transaction without `sig` and `cosig`.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { sign, verifySignature } from '../../crypto/ed25519.js';
import { encodeCanonical } from '../../encoding/cbor.js';
import { defineCodec } from '../../encoding/codec.js';
import { header, publicKey, signature, text, uint, uintMax, v } from '../../encoding/schema.js';

export const breakGlassSchema = v.strictObject({
  ...header(TAGS.breakGlass),
  doctor: publicKey,
  patient: publicKey,
  reason: v.pipe(text(), v.minLength(1)),
  cosigner: publicKey,
  time: uint(),
  /** How long the emergency access lasts, bounded by CHAIN_LIMITS.maxBreakGlassMs. */
  durationMs: uintMax(CHAIN_LIMITS.maxBreakGlassMs),
  sig: signature,
  cosig: signature
});
export type BreakGlass = v.InferOutput<typeof breakGlassSchema>;
export const breakGlassCodec = defineCodec('break-glass', breakGlassSchema, 2 * 1024);

export function breakGlassSignBytes(tx: object): Uint8Array {
  const rest: Record<string, unknown> = { ...tx };
  delete rest.sig;
  delete rest.cosig;
  return encodeCanonical(rest);
}

export function createBreakGlass(
  doctorSeed: Uint8Array,
  cosignerSeed: Uint8Array,
  body: Omit<BreakGlass, 't' | 'v' | 'sig' | 'cosig'>
): BreakGlass {
  const unsigned = { t: TAGS.breakGlass, v: PROTOCOL_VERSION, ...body };
  const msg = breakGlassSignBytes(unsigned);
  return breakGlassCodec.parse({ ...unsigned, sig: sign(doctorSeed, msg), cosig: sign(cosignerSeed, msg) });
}

export function breakGlassSignaturesValid(tx: BreakGlass): { doctor: boolean; cosigner: boolean } {
  const msg = breakGlassSignBytes(tx);
  return {
    doctor: verifySignature(tx.doctor, msg, tx.sig),
    cosigner: verifySignature(tx.cosigner, msg, tx.cosig)
  };
}
