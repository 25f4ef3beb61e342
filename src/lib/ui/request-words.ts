/**
 * Words for what a registration says — its field names and a doctor's rank — in the user's language,
 * instead of the identifiers the chain stores ("medical-officer", "hospitalId"): the manager's and
 * onboarding screens, and the rank in the patient's doctor directory; a node's role ("mirror").
 */
import { isRank, NODE_ROLES, stakeForRank, type NodeRole, type Rank } from '../core/accounts/index.js';
import { t, type MessageKey } from './i18n/index.svelte.js';

const FIELD: Record<string, MessageKey> = {
  account: 'mgr.detailAccount',
  key: 'onb.publicKey',
  name: 'onb.fullName',
  speciality: 'onb.speciality',
  degree: 'onb.degree',
  hospitalId: 'onb.hospital',
  rank: 'mgr.rankValue',
  currentRank: 'mgr.detailCurrentRank',
  newRank: 'mgr.detailNewRank',
  nodeRole: 'mgr.detailNodeRole',
  doctor: 'mgr.detailDoctor',
  hospitalName: 'mgr.hospitalName',
  authority: 'mgr.detailAuthority',
  peerId: 'mgr.detailPeerId'
};

export const rankName = (r: Rank): string => t(`rank.${r}` as MessageKey);

const isNodeRole = (v: string): v is NodeRole => (NODE_ROLES as readonly string[]).includes(v);

/** "Consultant (stake 5)": managers set a rank to set a stake. */
export const rankWithStake = (r: Rank): string =>
  t('mgr.rankOption', { rank: rankName(r), stake: stakeForRank(r) });

export const fieldLabel = (k: string): string => (k in FIELD ? t(FIELD[k]!) : k);

export const fieldValue = (k: string, v: string): string =>
  (k === 'rank' || k === 'currentRank' || k === 'newRank') && isRank(v)
    ? rankName(v)
    : k === 'nodeRole' && isNodeRole(v)
      ? t(`nodeRole.${v}` as MessageKey)
      : v;
