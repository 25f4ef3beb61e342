/**
 * Vector kinds for accounts: a registration request's signature (verifyRegistration after strict
 * decoding) and the manager-majority rule (checkMajority) over a set of approvals. Isomorphic like
 * runner.ts; wired into the dispatcher through kinds.ts.
 */
import { fromHex, toHex } from '../../src/lib/core/crypto/hash.js';
import {
  registrationCodec,
  registrationSubject,
  verifyRegistration
} from '../../src/lib/core/accounts/registration.js';
import { approvalCodec, checkMajority } from '../../src/lib/core/accounts/approval.js';
import type { Verdict } from '../../src/lib/core/errors.js';

type Kind = (input: Record<string, unknown>) => Record<string, unknown>;

const h = (x: unknown) => fromHex(String(x));
const verdict = (r: Verdict) => (r.ok ? { valid: true } : { error: r.error.code });

export const accountsKinds: Record<string, Kind> = {
  'registration-verify': (i) => {
    const req = registrationCodec.decode(h(i.registration));
    const r = verifyRegistration(req);
    // The subject is what managers sign: pin it so every implementation approves the same hash.
    return r.ok ? { valid: true, subject: toHex(registrationSubject(req)) } : verdict(r);
  },
  'approvals-majority': (i) =>
    verdict(
      checkMajority(
        (i.approvals as string[]).map((a) => approvalCodec.decode(h(a))),
        (i.managers as string[]).map(h),
        h(i.subject)
      )
    )
};
