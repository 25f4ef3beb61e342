/**
 * The mailbox's rules: what may wait for approvals, how approvals merge, and that the transaction a
 * majority makes is exactly one the consortium rules accept (checked against the real rules, not a
 * copy of them).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { approve } from '../accounts/approval.js';
import { signRecovery } from '../accounts/recovery.js';
import { signRegistration } from '../accounts/registration.js';
import { FUZZ_RUNS } from '../test-support.js';
import { DAY, DOCTOR, HOSPITAL, MANAGERS, T0, actor, world } from './fixtures.node.js';
import { CONSORTIUM_CHAIN_ID } from './header.js';
import {
  assembleMailTx,
  checkMailPost,
  mailPost,
  mailPostCodec,
  mailSubject,
  mergeMail,
  type MailBody
} from './mail.js';
import { applyTx, verifyTx, type ChainParams } from './rules/block.js';
import { account, managers } from './rules/lookup.js';
import { rankChangeBody } from './tx/accounts.js';

const W = world();
const PARAMS: ChainParams = { chainId: CONSORTIUM_CHAIN_ID, config: { kind: 'consortium' } };
const CTX = { ...PARAMS, height: 1, time: T0 + DAY, txIndex: 0 };
const MGRS = managers(W.consortium);
const newcomer = actor('mail-newcomer');

const registration: MailBody = {
  kind: 'registration',
  request: signRegistration(
    {
      role: 'doctor',
      signingPublic: newcomer.keys.signingPublic,
      encryptionPublic: newcomer.keys.encryptionPublic,
      created: T0,
      profile: {
        name: 'Dr. N. Islam',
        speciality: 'Cardiology',
        degree: 'MBBS',
        hospitalId: HOSPITAL,
        rank: 'registrar'
      }
    },
    newcomer.keys.signingSeed
  )
};
const approval = (i: number, body: MailBody) => approve(MANAGERS[i]!.keys.signingSeed, mailSubject(body));

describe('mail posts', () => {
  it('a signed request waits alone; approvals from the managers merge one by one into a transaction the chain accepts', () => {
    let held = mailPost(registration);
    expect(checkMailPost(held, MGRS).ok).toBe(true);
    expect(assembleMailTx(held, MGRS)).toBeNull();
    for (const i of [0, 0, 1]) {
      const post = mailPost(registration, [approval(i, registration)]);
      expect(checkMailPost(post, MGRS).ok).toBe(true);
      held = mergeMail(held, post).post;
    }
    // The second approval by manager 0 added nothing.
    expect(held.approvals).toHaveLength(2);
    const tx = assembleMailTx(mailPostCodec.decode(mailPostCodec.encode(held)), MGRS)!;
    expect(tx).not.toBeNull();
    const verdict = verifyTx(W.consortium, tx, CTX);
    expect(verdict).toEqual({ ok: true });
    const after = applyTx(W.consortium, tx, CTX);
    expect(account(after, newcomer.keys.signingPublic)?.status).toBe('active');
  });

  it('refuses a forged request, a non-manager approval, an approval of another subject and a change no manager proposed', () => {
    const forged: MailBody = {
      kind: 'registration',
      request: { ...(registration as Extract<MailBody, { kind: 'registration' }>).request, created: T0 + 1 }
    };
    expect(checkMailPost(mailPost(forged), MGRS)).toMatchObject({ error: { code: 'crypto/bad-signature' } });
    const stranger = approve(DOCTOR.keys.signingSeed, mailSubject(registration));
    expect(checkMailPost(mailPost(registration, [stranger]), MGRS)).toMatchObject({
      error: { code: 'account/not-manager' }
    });
    const rank: MailBody = {
      kind: 'rank',
      change: rankChangeBody(DOCTOR.keys.signingPublic, 'consultant', T0)
    };
    expect(checkMailPost(mailPost(registration, [approval(0, rank)]), MGRS)).toMatchObject({
      error: { code: 'account/wrong-subject' }
    });
    expect(checkMailPost(mailPost(rank), MGRS)).toMatchObject({ error: { code: 'account/not-manager' } });
    expect(checkMailPost(mailPost(rank, [approval(2, rank)]), MGRS).ok).toBe(true);
  });

  it('a recovery and a rank change assemble into transactions the chain accepts', () => {
    const fresh = actor('mail-recovered-doctor');
    const recovery: MailBody = {
      kind: 'recovery',
      recovery: signRecovery(
        {
          account: DOCTOR.keys.signingPublic,
          newSigningPublic: fresh.keys.signingPublic,
          newEncryptionPublic: fresh.keys.encryptionPublic,
          created: T0
        },
        fresh.keys.signingSeed
      )
    };
    const rank: MailBody = {
      kind: 'rank',
      change: rankChangeBody(DOCTOR.keys.signingPublic, 'consultant', T0)
    };
    for (const body of [recovery, rank]) {
      const tx = assembleMailTx(mailPost(body, [approval(1, body), approval(2, body)]), MGRS);
      expect(verifyTx(W.consortium, tx!, CTX)).toEqual({ ok: true });
    }
  });

  it('merging is order-independent: any arrival order of the same approvals gives the same set', () => {
    const all = [0, 1, 2].map((i) => mailPost(registration, [approval(i, registration)]));
    fc.assert(
      fc.property(fc.shuffledSubarray([...all, ...all], { minLength: 1 }), (arrivals) => {
        let held: ReturnType<typeof mailPost> | undefined;
        for (const p of arrivals) held = mergeMail(held, p).post;
        const who = new Set(arrivals.flatMap((p) => p.approvals.map((a) => a.manager.join())));
        expect(new Set(held!.approvals.map((a) => a.manager.join()))).toEqual(who);
        expect(held!.approvals).toHaveLength(who.size);
      }),
      { numRuns: FUZZ_RUNS }
    );
  });
});
