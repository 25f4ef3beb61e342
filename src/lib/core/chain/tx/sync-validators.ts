/**
 * Hospital chain: adopt the validator set the consortium assigns to this hospital (rules/hospital-set.ts).
 * Carries the whole new set, so the post-state — and the header's nextValidatorsHash, which light
 * clients follow with a change proof — can be computed from the hospital chain alone; validators
 * accept it only if it equals the set in the consortium state they follow. Not signed: it grants
 * nothing, anyone may submit it, and it is valid exactly when it states the consortium's decision.
 * `consortiumHeight` is the consortium height the set was read at: it keeps a later sync back to an
 * earlier set (A → B → A) distinct from the first (replays are refused by transaction hash).
 */
import { PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { defineCodec } from '../../encoding/codec.js';
import { header, id, uint, v } from '../../encoding/schema.js';
import { makeValidatorSet, validatorSetSchema } from '../../consensus/types.js';

export const syncValidatorsSchema = v.strictObject({
  ...header(TAGS.txSyncValidators),
  hospital: id(),
  consortiumHeight: uint(),
  set: validatorSetSchema
});
export type SyncValidators = v.InferOutput<typeof syncValidatorsSchema>;
/** A set of 256 validators is ~12 KiB; 16 KiB bounds the transaction. */
export const syncValidatorsCodec = defineCodec('sync-validators', syncValidatorsSchema, 16 * 1024);

export function makeSyncValidators(
  hospital: string,
  consortiumHeight: number,
  validators: { key: Uint8Array; weight: number }[]
): SyncValidators {
  return syncValidatorsCodec.parse({
    t: TAGS.txSyncValidators,
    v: PROTOCOL_VERSION,
    hospital,
    consortiumHeight,
    set: makeValidatorSet(validators)
  });
}
