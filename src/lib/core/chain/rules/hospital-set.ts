/**
 * Each hospital chain's validator set, as the consortium decides it (the thesis's permissioned proof
 * of stake: managers set a doctor's stake by rank). The consortium keeps one entry per hospital under
 * `hospital-set`, rewritten by every transaction that changes a member — registration, recovery,
 * rank change — so it is always the set the rule below gives, read in one lookup and provable to a
 * light client. The hospital chain adopts it through a `sync-validators` transaction (hospital.ts).
 *
 * Member rule: an active account of this hospital that is
 *   - a doctor whose stake (by rank) is at least MIN_VALIDATOR_STAKE, with that stake as weight; or
 *   - a node with a stake: genesis gives a server node its weight, a node registered later as a
 *     'validator' gets SERVER_NODE_STAKE.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { MIN_VALIDATOR_STAKE } from '../../accounts/rank.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { makeValidatorSet, validatorSetHash, type ValidatorSet } from '../../consensus/types.js';
import { validatorsEntryCodec, type AccountEntry } from '../entries.js';
import { getEntry, NS, putEntry, type ChainState } from '../store.js';
import { makeSyncValidators, type SyncValidators } from '../tx/sync-validators.js';
import { account, validatorSetOf } from './lookup.js';

/**
 * Weight of a server node registered after genesis as a validator: a medical officer's stake, so one
 * added server cannot outweigh the doctors and genesis servers already signing.
 */
export const SERVER_NODE_STAKE = MIN_VALIDATOR_STAKE;

/** An account's weight in its hospital's set (0 = not a member). */
export function memberWeight(a: AccountEntry): number {
  if (a.status !== 'active' || a.hospital === '') return 0;
  if (a.role === 'doctor') return a.stake >= MIN_VALIDATOR_STAKE ? a.stake : 0;
  if (a.role === 'node') return a.stake;
  return 0;
}

/** The validators the consortium assigns to `hospitalId` ([] for an unknown hospital). */
export function hospitalSetOf(s: ChainState, hospitalId: string): { key: Uint8Array; weight: number }[] {
  return getEntry(s, NS.hospitalSet, hospitalId, validatorsEntryCodec)?.validators ?? [];
}

/** Store a hospital's set, in canonical order. */
export function putHospitalSet(
  s: ChainState,
  hospitalId: string,
  validators: { key: Uint8Array; weight: number }[]
): ChainState {
  const sorted: ValidatorSet['validators'] =
    validators.length === 0 ? [] : makeValidatorSet(validators).validators;
  return putEntry(s, NS.hospitalSet, hospitalId, validatorsEntryCodec, {
    t: TAGS.stValidators,
    v: PROTOCOL_VERSION,
    validators: sorted
  });
}

/** Would `a` (as it will be stored) add a member to a full set? Verify rules refuse that first. */
export function hospitalSetFull(s: ChainState, a: AccountEntry): boolean {
  if (memberWeight(a) === 0) return false;
  const set = hospitalSetOf(s, a.hospital);
  return set.length >= CHAIN_LIMITS.maxValidators && !set.some((x) => bytesEqual(x.key, a.key));
}

/** Re-derive `key`'s membership after its account entry changed (apply rules call this). */
export function refreshMember(s: ChainState, key: Uint8Array): ChainState {
  const a = account(s, key);
  if (a === null || a.hospital === '') return s;
  const set = hospitalSetOf(s, a.hospital);
  const others = set.filter((x) => !bytesEqual(x.key, key));
  const w = memberWeight(a);
  if (w === 0 && others.length === set.length) return s;
  return putHospitalSet(s, a.hospital, w > 0 ? [...others, { key, weight: w }] : others);
}

/**
 * The sync a proposer should include when this hospital chain's set differs from the consortium's
 * (null when they agree, or when the consortium assigns no validator at all — never adopt an empty set).
 */
export function validatorSyncFor(
  consortium: ChainState,
  hospitalState: ChainState,
  hospitalId: string,
  consortiumHeight: number
): SyncValidators | null {
  const want = hospitalSetOf(consortium, hospitalId);
  if (want.length === 0) return null;
  const tx = makeSyncValidators(hospitalId, consortiumHeight, want);
  return bytesEqual(validatorSetHash(tx.set), validatorSetHash(validatorSetOf(hospitalState))) ? null : tx;
}
