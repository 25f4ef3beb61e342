/**
 * Proposer selection, weighted by stake, deterministic and stateless: the proposer of (height, round)
 * is entry (height + round) mod L of the set's schedule, a smooth weighted round-robin (the algorithm
 * behind Tendermint's proposer priorities and nginx's upstream balancing) over the weights. In every
 * window of L consecutive slots each validator proposes in proportion to its weight, and the slots are
 * spread out rather than bunched, so a crashed heavy validator costs one round, not a run of them.
 * Being a pure function of (set, height, round), every node and every light client computes the same
 * proposer with no history.
 *
 * The schedule length L is the total weight divided by the weights' gcd. When that exceeds
 * SCHEDULE_SLOTS the weights are scaled to about SCHEDULE_SLOTS slots (each validator keeps at least
 * one), so shares are exact for small totals and within 1/SCHEDULE_SLOTS otherwise.
 */
import { toHex } from '../crypto/hash.js';
import { validatorSetHash, type ValidatorSet } from './types.js';

/** Schedule length cap: 1,024 slots keeps shares within 0.1% and the schedule a few KiB. */
export const SCHEDULE_SLOTS = 1024;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The proposer schedule: validator indexes, one per slot. */
export function proposerSchedule(set: ValidatorSet): number[] {
  let weights = set.validators.map((x) => x.weight);
  const g = weights.reduce(gcd);
  weights = weights.map((w) => w / g);
  const total = weights.reduce((a, b) => a + b, 0);
  if (total > SCHEDULE_SLOTS)
    weights = weights.map((w) => Math.max(1, Math.floor((w * SCHEDULE_SLOTS) / total)));
  const slots = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let s = 0; s < slots; s++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= slots;
    out.push(best);
  }
  return out;
}

// Sets change rarely (rank changes, hospitals joining): a few cached schedules cover every live set.
const cache = new Map<string, number[]>();
const CACHE_MAX = 64;
const byObject = new WeakMap<ValidatorSet, number[]>();

function scheduleFor(set: ValidatorSet): number[] {
  let s = byObject.get(set);
  if (s) return s;
  const key = toHex(validatorSetHash(set));
  s = cache.get(key);
  if (!s) {
    s = proposerSchedule(set);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, s);
  }
  byObject.set(set, s);
  return s;
}

/** Public key of the proposer for (height, round). */
export function proposer(set: ValidatorSet, height: number, round: number): Uint8Array {
  const s = scheduleFor(set);
  return set.validators[s[(height + round) % s.length]!]!.key;
}
