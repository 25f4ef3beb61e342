import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deriveAccountKeys, seededRng, toHex } from '../core/crypto/index.js';
import { signRegistration, verifyApproval } from '../core/accounts/index.js';
import { assembleMailTx, mailPostCodec, mailSubject, mergeMail } from '../core/chain/mail.js';
import { isCoreError } from '../core/errors.js';
import { FUZZ_RUNS } from '../core/test-support.js';
import {
  approvalAction,
  hospitalApprovalAction,
  listedApprovalAction,
  parseRequestText,
  pendingChange,
  rankApprovalAction,
  requestAction,
  requestBody,
  requestDetails,
  requestSubject,
  requestText,
  signRequest
} from './requests.js';
import type { StoredAccount } from './stored.js';

function account(role: StoredAccount['role'], n: number): { acc: StoredAccount; seed: Uint8Array } {
  const rng = seededRng(n);
  const seed = rng(32);
  const keys = deriveAccountKeys(seed);
  return {
    seed,
    acc: {
      role,
      label: 'device',
      signingPublic: keys.signingPublic,
      encryptionPublic: keys.encryptionPublic,
      ...(role === 'patient' ? { pseudonym: rng(16) } : {}),
      box: { salt: rng(16), N: 1024, r: 8, p: 1, sealed: rng(72) },
      createdAt: 1
    }
  };
}

describe('registration and recovery requests', () => {
  it('a signed patient request survives its text form and a manager approval names it', () => {
    const { acc, seed } = account('patient', 1);
    const req = signRequest(acc, seed, { now: 1_760_000_000_000 });
    const text = requestText(req);
    expect(text).toMatch(/^carechain:registration:[A-Za-z0-9_-]+$/);
    expect(text.length).toBeLessThan(1100);
    const back = parseRequestText(text);
    expect(toHex(requestSubject(back))).toBe(toHex(requestSubject(req)));
    expect(requestAction(back).kind).toBe('registration');

    const manager = account('manager', 2);
    const action = approvalAction(manager.seed, back);
    const post = mailPostCodec.decode(action.bytes);
    expect(post.body).toEqual(requestBody(back));
    const approval = post.approvals[0]!;
    expect(verifyApproval(approval).ok).toBe(true);
    expect(toHex(approval.subject)).toBe(toHex(requestSubject(req)));
  });

  it('a hospital node’s request shows the managers its hospital, its work and its peer id', () => {
    const seed = seededRng(9)(32);
    const keys = deriveAccountKeys(seed);
    const value = signRegistration(
      {
        role: 'node',
        hospitalId: 'H4',
        nodeRole: 'mirror',
        peerId: '12D3KooWExample',
        signingPublic: keys.signingPublic,
        encryptionPublic: keys.encryptionPublic,
        created: 1_760_000_000_000
      },
      keys.signingSeed
    );
    const back = parseRequestText(requestText({ kind: 'registration', value }));
    expect(requestDetails(back)).toEqual({
      key: toHex(keys.signingPublic).slice(0, 16) + '…',
      hospitalId: 'H4',
      nodeRole: 'mirror',
      peerId: '12D3KooWExample'
    });
  });

  it('a doctor request carries the public profile; a recovery names the old key', () => {
    const { acc, seed } = account('doctor', 3);
    const profile = {
      name: 'Dr. A',
      speciality: 'Cardiology',
      degree: 'MBBS',
      hospitalId: 'dmch',
      rank: 'consultant' as const
    };
    const req = parseRequestText(requestText(signRequest(acc, seed, { now: 5, profile })));
    expect(req.kind === 'registration' && req.value.role === 'doctor' && req.value.profile).toEqual(profile);
    const old = toHex(account('patient', 4).acc.signingPublic);
    const rec = parseRequestText(requestText(signRequest(acc, seed, { now: 6, replaces: old })));
    expect(rec.kind).toBe('recovery');
    expect(rec.kind === 'recovery' && toHex(rec.value.account)).toBe(old);
  });

  it('refuses an altered request with a named error', () => {
    const { acc, seed } = account('patient', 5);
    const text = requestText(signRequest(acc, seed, { now: 7 }));
    const i = text.length - 10;
    const altered = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
    expect(() => parseRequestText(altered)).toThrow();
    try {
      parseRequestText(altered);
    } catch (e) {
      expect(isCoreError(e)).toBe(true);
    }
  });

  it('never throws anything but a CoreError on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String().map((s) => `carechain:registration:${s.replace(/[+/=]/g, '_')}`),
          fc
            .uint8Array({ maxLength: 300 })
            .map((b) => `carechain:recovery:${Buffer.from(b).toString('base64url')}`)
        ),
        (text) => {
          try {
            parseRequestText(text);
          } catch (e) {
            expect(isCoreError(e)).toBe(true);
          }
        }
      ),
      { numRuns: FUZZ_RUNS }
    );
  });

  it('rank approvals check the key and the rank before signing', () => {
    const m = account('manager', 6);
    expect(() => rankApprovalAction(m.seed, 'zz', 'consultant', 1)).toThrow(/bad-key/);
    expect(() => rankApprovalAction(m.seed, 'ab'.repeat(32), 'emperor' as never, 1)).toThrow(/bad-rank/);
    const a = rankApprovalAction(m.seed, 'ab'.repeat(32), 'consultant', 1);
    const post = mailPostCodec.decode(a.bytes);
    expect(post.body.kind).toBe('rank');
    expect(verifyApproval(post.approvals[0]!).ok).toBe(true);
  });

  it('a change one manager proposed is listed to the others, whose approvals make the majority', () => {
    const [m1, m2, m3] = [account('manager', 7), account('manager', 8), account('manager', 9)];
    const set = [m1, m2, m3].map((m) => deriveAccountKeys(m.seed).signingPublic);
    const authority = toHex(deriveAccountKeys(seededRng(10)(32)).signingPublic);
    for (const proposed of [
      rankApprovalAction(m1.seed, 'ab'.repeat(32), 'consultant', 1_760_000_000_000),
      hospitalApprovalAction(
        m1.seed,
        { hospital: 'H4', name: 'Sylhet Women’s Hospital', authority, authorityEncryption: authority },
        1_760_000_000_000
      )
    ]) {
      const first = mailPostCodec.decode(proposed.bytes);
      const listed = pendingChange(first.body)!;
      expect(listed.submittedAt).toBe(1_760_000_000_000);
      expect(listed.details).toEqual(
        first.body.kind === 'rank'
          ? { doctor: 'ab'.repeat(8) + '…', newRank: 'consultant' }
          : {
              hospitalId: 'H4',
              hospitalName: 'Sylhet Women’s Hospital',
              authority: authority.slice(0, 16) + '…'
            }
      );
      const second = mailPostCodec.decode(listedApprovalAction(m2.seed, listed.text).bytes);
      expect(toHex(mailSubject(second.body))).toBe(toHex(mailSubject(first.body)));
      // One approval is not a majority of three; the second one, of the same change, is.
      expect(assembleMailTx(first, set)).toBeNull();
      expect(assembleMailTx(mergeMail(first, second).post, set)).not.toBeNull();
    }
    expect(() => listedApprovalAction(m2.seed, 'carechain:change:AAAA')).toThrow();
    expect(pendingChange(requestBody(signRequest(m3.acc, m3.seed, { now: 1, name: 'M3' })))).toBeNull();
  });
});
