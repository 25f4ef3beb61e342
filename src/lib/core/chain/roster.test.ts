/**
 * The doctor roster (rules/roster.ts): every doctor registered at a hospital, whatever their rank, is
 * on its roster, so a patient can find them; a recovery adds the new key; patients and nodes never
 * appear; and a full roster refuses the next doctor with a named error instead of dropping one.
 */
import { describe, expect, it } from 'vitest';
import { CHAIN_LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import type { Rank } from '../accounts/rank.js';
import { recoverySubject, signRecovery } from '../accounts/recovery.js';
import { registrationSubject, signRegistration, type Registration } from '../accounts/registration.js';
import { isCoreError } from '../errors.js';
import { toHex } from '../crypto/hash.js';
import {
  CONSORTIUM_CTX,
  HOSPITAL,
  OTHER_HOSPITAL,
  T0,
  actor,
  commitConsortiumTx,
  managerApprovals,
  world,
  type Actor
} from './fixtures.node.js';
import { makeRecoverTx, makeRegisterTx, recoverTxCodec, registerTxCodec } from './tx/accounts.js';
import { verifyTx } from './rules/block.js';
import { rosterId } from './rules/roster.js';
import { pageCodec } from './entries.js';
import { NS, pageId, putEntry, readList, type ChainState } from './store.js';

const registerTx = (req: Registration) =>
  registerTxCodec.encode(makeRegisterTx(req, managerApprovals(registrationSubject(req))));

const doctor = (a: Actor, rank: Rank, hospitalId = HOSPITAL) =>
  registerTx(
    signRegistration(
      {
        role: 'doctor',
        signingPublic: a.keys.signingPublic,
        encryptionPublic: a.keys.encryptionPublic,
        created: T0,
        profile: { name: 'Dr. R. Khan', speciality: 'Paediatrics', degree: 'MBBS', hospitalId, rank }
      },
      a.keys.signingSeed
    )
  );

const patient = (a: Actor) =>
  registerTx(
    signRegistration(
      {
        role: 'patient',
        signingPublic: a.keys.signingPublic,
        encryptionPublic: a.keys.encryptionPublic,
        created: T0,
        pseudonym: new Uint8Array(16).fill(7)
      },
      a.keys.signingSeed
    )
  );

const roster = (s: ChainState, hospitalId = HOSPITAL) =>
  readList(s, NS.roster, rosterId(hospitalId)).map(toHex);
const hex = (a: Actor) => toHex(a.keys.signingPublic);

describe('the hospital doctor roster', () => {
  it('holds every registered doctor of the hospital, interns too, and no patient', () => {
    const intern = actor('roster-intern');
    const professor = actor('roster-professor');
    const elsewhere = actor('roster-other-hospital');
    const p = actor('roster-patient');
    let s = world().consortium;
    s = commitConsortiumTx(s, doctor(intern, 'intern'));
    s = commitConsortiumTx(s, patient(p));
    s = commitConsortiumTx(s, doctor(professor, 'professor'));
    s = commitConsortiumTx(s, doctor(elsewhere, 'registrar', OTHER_HOSPITAL));
    expect(roster(s)).toEqual([hex(intern), hex(professor)]);
    expect(roster(s, OTHER_HOSPITAL)).toEqual([hex(elsewhere)]);
  });

  it('adds the new key after a recovery, and keeps the old one (its account says rotated)', () => {
    const intern = actor('roster-recovered');
    const fresh = actor('roster-recovered-new-device');
    let s = commitConsortiumTx(world().consortium, doctor(intern, 'intern'));
    const rec = signRecovery(
      {
        account: intern.keys.signingPublic,
        newSigningPublic: fresh.keys.signingPublic,
        newEncryptionPublic: fresh.keys.encryptionPublic,
        created: T0
      },
      fresh.keys.signingSeed
    );
    s = commitConsortiumTx(
      s,
      recoverTxCodec.encode(makeRecoverTx(rec, managerApprovals(recoverySubject(rec))))
    );
    expect(roster(s)).toEqual([hex(intern), hex(fresh)]);
  });

  it('refuses a doctor when the roster is full, with chain/list-full', () => {
    // Pages 0..max-2 exist (continued), and the last possible page is full.
    let s = world().consortium;
    const full = Array.from({ length: CHAIN_LIMITS.pageEntries }, (_, i) => new Uint8Array(32).fill(i));
    for (let n = 0; n < CHAIN_LIMITS.maxPages; n++)
      s = putEntry(s, NS.roster, pageId(rosterId(HOSPITAL), n), pageCodec, {
        t: TAGS.stPage,
        v: PROTOCOL_VERSION,
        entries: (n === CHAIN_LIMITS.maxPages - 1 ? full : []) as never,
        more: n < CHAIN_LIMITS.maxPages - 1
      });
    const v = verifyTx(s, doctor(actor('roster-one-too-many'), 'intern'), CONSORTIUM_CTX);
    expect(v.ok).toBe(false);
    expect(!v.ok && isCoreError(v.error, 'chain/list-full')).toBe(true);
    // A patient, and a doctor of another hospital, still register.
    expect(verifyTx(s, patient(actor('roster-patient-2')), CONSORTIUM_CTX).ok).toBe(true);
    expect(verifyTx(s, doctor(actor('roster-other'), 'intern', OTHER_HOSPITAL), CONSORTIUM_CTX).ok).toBe(
      true
    );
  });
});
