/**
 * Consortium registry rules. An account exists once a majority of the system managers approved it
 * (accounts/approval.ts checkMajority); a recovery rotates it to new keys and the old key is refused
 * from then on (status 'rotated'); managers set a doctor's rank and so their stake; managers add and
 * remove hospitals, which changes the consortium's authority (validator) set from the next block.
 * Registration, recovery and rank change also keep each hospital chain's validator set up to date
 * (hospital-set.ts), which the hospital chain then adopts; registration and recovery of a doctor add
 * the doctor's key to the hospital's roster (roster.ts), where patients find every doctor.
 */
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../../constants.js';
import { fail, OK, type Verdict } from '../../errors.js';
import { bytesEqual } from '../../encoding/cbor.js';
import { checkMajority } from '../../accounts/approval.js';
import { stakeForRank } from '../../accounts/rank.js';
import { recoverySubject, verifyRecovery } from '../../accounts/recovery.js';
import { registrationSubject, verifyRegistration } from '../../accounts/registration.js';
import { makeValidatorSet } from '../../consensus/types.js';
import {
  accountEntryCodec,
  hospitalEntryCodec,
  validatorsEntryCodec,
  type AccountEntry
} from '../entries.js';
import { NS, putEntry, type ChainState } from '../store.js';
import {
  changeSubject,
  type HospitalChange,
  type RankChange,
  type RecoverTx,
  type RegisterTx
} from '../tx/accounts.js';
import { TX_FUTURE_SKEW_MS, type TxContext } from './context.js';
import { account, activeAccount, hospital, managers, validatorSetOf } from './lookup.js';
import { hospitalSetFull, refreshMember, SERVER_NODE_STAKE } from './hospital-set.js';
import { addToRoster, rosterHasRoom } from './roster.js';
import { addedHospitalsHaveRoom, listAddedHospital } from './added-hospitals.js';
import { authorityJoinSignedBy, type AuthorityJoin } from '../tx/authority-join.js';

const ZERO = new Uint8Array(32) as AccountEntry['rotatedTo'];

function putAccount(s: ChainState, e: AccountEntry): ChainState {
  return putEntry(s, NS.account, e.key, accountEntryCodec, e);
}

export function verifyRegister(state: ChainState, tx: RegisterTx, _ctx: TxContext): Verdict {
  const req = tx.request;
  const sig = verifyRegistration(req);
  if (!sig.ok) return sig;
  // Managers and hospitals enter through genesis and hospital changes, not self-registration.
  if (req.role !== 'patient' && req.role !== 'doctor' && req.role !== 'node')
    return fail('account/wrong-role', { role: req.role });
  if (account(state, req.signingPublic) !== null) return fail('account/exists');
  const hid = req.role === 'doctor' ? req.profile.hospitalId : req.role === 'node' ? req.hospitalId : null;
  if (hid !== null && !hospital(state, hid)?.active) return fail('chain/unknown-hospital', { hospital: hid });
  const entry = registeredEntry(tx);
  if (hospitalSetFull(state, entry))
    return fail('chain/list-full', { detail: 'hospital validator set', hospital: hid });
  if (!rosterHasRoom(state, entry))
    return fail('chain/list-full', { detail: 'hospital doctor roster', hospital: hid });
  return checkMajority(tx.approvals, managers(state), registrationSubject(req));
}

/** The account a registration creates; a doctor's stake follows rank, a validator node's is fixed. */
function registeredEntry(tx: RegisterTx): AccountEntry {
  const req = tx.request;
  return {
    t: TAGS.stAccount,
    v: PROTOCOL_VERSION,
    key: req.signingPublic,
    role: req.role,
    encryptionKey: req.encryptionPublic,
    status: 'active',
    rotatedTo: ZERO,
    hospital: req.role === 'doctor' ? req.profile.hospitalId : req.role === 'node' ? req.hospitalId : '',
    rank: req.role === 'doctor' ? req.profile.rank : '',
    stake:
      req.role === 'doctor'
        ? stakeForRank(req.profile.rank)
        : req.role === 'node' && req.nodeRole === 'validator'
          ? SERVER_NODE_STAKE
          : 0,
    nodeRole: req.role === 'node' ? req.nodeRole : '',
    request: registrationSubject(req) as AccountEntry['request']
  };
}

export function applyRegister(state: ChainState, tx: RegisterTx): ChainState {
  const e = registeredEntry(tx);
  return addToRoster(refreshMember(putAccount(state, e), e.key), e);
}

export function verifyRecover(state: ChainState, tx: RecoverTx, _ctx: TxContext): Verdict {
  const r = tx.recovery;
  const sig = verifyRecovery(r);
  if (!sig.ok) return sig;
  const old = activeAccount(state, r.account, ['patient', 'doctor', 'node']);
  if (!old.ok) return old.verdict;
  if (account(state, r.newSigningPublic) !== null) return fail('account/exists');
  if (!rosterHasRoom(state, old.account))
    return fail('chain/list-full', { detail: 'hospital doctor roster', hospital: old.account.hospital });
  return checkMajority(tx.approvals, managers(state), recoverySubject(r));
}

export function applyRecover(state: ChainState, tx: RecoverTx): ChainState {
  const r = tx.recovery;
  const old = account(state, r.account)!;
  const rotated: AccountEntry = {
    ...old,
    key: r.newSigningPublic,
    encryptionKey: r.newEncryptionPublic,
    request: recoverySubject(r) as AccountEntry['request']
  };
  let s = putAccount(state, { ...old, status: 'rotated', rotatedTo: r.newSigningPublic });
  s = putAccount(s, rotated);
  // The new key takes the old one's place in its hospital's validator set (same weight) and joins
  // its roster; the old key stays on the roster, rotated, and the directory skips it.
  return addToRoster(refreshMember(refreshMember(s, r.account), r.newSigningPublic), rotated);
}

export function verifyRankChange(state: ChainState, tx: RankChange, ctx: TxContext): Verdict {
  if (tx.time > ctx.time + TX_FUTURE_SKEW_MS)
    return fail('chain/wrong-time', { txTime: tx.time, blockTime: ctx.time });
  const d = activeAccount(state, tx.doctor, ['doctor']);
  if (!d.ok) return d.verdict;
  if (hospitalSetFull(state, { ...d.account, rank: tx.rank, stake: stakeForRank(tx.rank) }))
    return fail('chain/list-full', { detail: 'hospital validator set', hospital: d.account.hospital });
  return checkMajority(tx.approvals, managers(state), changeSubject(tx));
}

export function applyRankChange(state: ChainState, tx: RankChange): ChainState {
  const d = account(state, tx.doctor)!;
  return refreshMember(putAccount(state, { ...d, rank: tx.rank, stake: stakeForRank(tx.rank) }), tx.doctor);
}

export function verifyHospitalChange(state: ChainState, tx: HospitalChange, ctx: TxContext): Verdict {
  if (tx.time > ctx.time + TX_FUTURE_SKEW_MS)
    return fail('chain/wrong-time', { txTime: tx.time, blockTime: ctx.time });
  const h = hospital(state, tx.hospital);
  if (tx.action === 'add') {
    if (h !== null) return fail('chain/bad-tx', { detail: 'hospital id already used' });
    if (account(state, tx.authority) !== null) return fail('account/exists', { detail: 'authority key' });
    if (!addedHospitalsHaveRoom(state)) return fail('chain/list-full', { namespace: NS.meta });
  } else {
    if (h === null || !h.active) return fail('chain/unknown-hospital', { hospital: tx.hospital });
    if (!bytesEqual(h.authority, tx.authority)) return fail('chain/not-authority', { hospital: tx.hospital });
    const set = validatorSetOf(state).validators;
    if (set.length <= 1 && set.some((x) => bytesEqual(x.key, tx.authority)))
      return fail('chain/bad-tx', { detail: 'the last authority cannot be removed' });
  }
  return checkMajority(tx.approvals, managers(state), changeSubject(tx));
}

export function applyHospitalChange(state: ChainState, tx: HospitalChange): ChainState {
  const add = tx.action === 'add';
  let s = putEntry(state, NS.hospital, tx.hospital, hospitalEntryCodec, {
    t: TAGS.stHospital,
    v: PROTOCOL_VERSION,
    id: tx.hospital,
    name: tx.name,
    authority: tx.authority,
    active: add
  });
  if (add)
    s = putAccount(listAddedHospital(s, tx.hospital), {
      t: TAGS.stAccount,
      v: PROTOCOL_VERSION,
      key: tx.authority,
      role: 'hospital',
      encryptionKey: tx.authorityEncryption,
      status: 'active',
      rotatedTo: ZERO,
      hospital: tx.hospital,
      rank: '',
      stake: 0,
      nodeRole: '',
      request: changeSubject(tx) as AccountEntry['request']
    });
  // An added hospital's authority votes from its own authority-join on; a removed one stops now.
  return add
    ? s
    : putAuthorities(
        s,
        validatorSetOf(state).validators.filter((x) => !bytesEqual(x.key, tx.authority))
      );
}

function putAuthorities(s: ChainState, validators: { key: Uint8Array; weight: number }[]): ChainState {
  return putEntry(s, NS.validator, 'current', validatorsEntryCodec, {
    t: TAGS.stValidators,
    v: PROTOCOL_VERSION,
    validators: makeValidatorSet(validators).validators
  });
}

export function verifyAuthorityJoin(state: ChainState, tx: AuthorityJoin): Verdict {
  const h = hospital(state, tx.hospital);
  if (h === null || !h.active) return fail('chain/unknown-hospital', { hospital: tx.hospital });
  const set = validatorSetOf(state).validators;
  if (set.some((x) => bytesEqual(x.key, h.authority)))
    return fail('chain/bad-tx', { detail: 'the hospital’s authority already votes' });
  if (set.length >= CHAIN_LIMITS.maxValidators) return fail('chain/list-full', { namespace: NS.validator });
  if (!authorityJoinSignedBy(tx, h.authority)) return fail('chain/not-authority', { hospital: tx.hospital });
  return OK;
}

export function applyAuthorityJoin(state: ChainState, tx: AuthorityJoin): ChainState {
  const authority = hospital(state, tx.hospital)!.authority;
  return putAuthorities(state, [...validatorSetOf(state).validators, { key: authority, weight: 1 }]);
}
