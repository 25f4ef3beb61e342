/**
 * Doctor rank → stake on the hospital chain (the thesis's permissioned proof of stake: managers set
 * stake by rank, a block is final with > 2/3 of stake). The weights grow with seniority but stay
 * within a factor of 8, so no single senior doctor outweighs a ward: three consultants (15) outvote
 * a professor and a registrar (11), and a hospital needs several people to finalise anything.
 */
import * as v from 'valibot';
import { CoreError } from '../errors.js';

export const RANK_STAKE = {
  intern: 1,
  'medical-officer': 2,
  registrar: 3,
  consultant: 5,
  professor: 8
} as const;

export type Rank = keyof typeof RANK_STAKE;
export const RANKS = Object.keys(RANK_STAKE) as Rank[];
export const RankSchema = v.picklist(RANKS as [Rank, ...Rank[]]);

/** Any registered doctor may write records — interns included, as they do on the ward. */
export const MIN_WRITE_STAKE = 1;
/** Validators sign blocks: medical officer and above; an intern's stake (1) is below this. */
export const MIN_VALIDATOR_STAKE = 2;

export function isRank(rank: unknown): rank is Rank {
  return typeof rank === 'string' && Object.prototype.hasOwnProperty.call(RANK_STAKE, rank);
}

export function stakeForRank(rank: string): number {
  if (!isRank(rank)) throw new CoreError('account/bad-rank', { rank });
  return RANK_STAKE[rank];
}
