/**
 * Each hospital's doctor roster, in consortium state: an append-only paged list (store.ts) of the
 * signing key of every doctor registered at the hospital, and of every doctor's new key after a
 * recovery. It is how a patient's light client finds every doctor to grant access to — interns too,
 * whose stake is below a validator's and who are therefore not in the hospital set (hospital-set.ts)
 * — with proofs that no page was withheld. Keys are never removed: each key's account entry says
 * whether it is still active, and the directory lists only active doctors.
 */
import { utf8Bytes } from '../../crypto/hash.js';
import type { AccountEntry } from '../entries.js';
import { appendToList, listHasRoom, NS, type ChainState } from '../store.js';

export const rosterId = (hospitalId: string): Uint8Array => utf8Bytes(hospitalId);

const onRoster = (a: Pick<AccountEntry, 'role' | 'hospital'>) => a.role === 'doctor' && a.hospital !== '';

/** Whether one more doctor key fits in `a`'s hospital roster (always, for anyone not on a roster). */
export function rosterHasRoom(s: ChainState, a: Pick<AccountEntry, 'role' | 'hospital'>): boolean {
  return !onRoster(a) || listHasRoom(s, NS.roster, rosterId(a.hospital), 1);
}

/** Appends a doctor's key to their hospital's roster (apply rules; verify checked the room). */
export function addToRoster(s: ChainState, a: AccountEntry): ChainState {
  return onRoster(a) ? appendToList(s, NS.roster, rosterId(a.hospital), [a.key]) : s;
}
