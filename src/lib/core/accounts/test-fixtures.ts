/** Test-only: fixed keys and arbitraries for account objects. Nothing outside *.test.ts imports this. */
import fc from 'fast-check';
import { deriveAccountKeys, seededRng, utf8Bytes, type AccountKeys } from '../crypto/index.js';
import { TAGS, PROTOCOL_VERSION } from '../constants.js';
import { RANKS } from './rank.js';
import { NODE_ROLES } from './roles.js';
import type { Registration } from './registration.js';
import type { Approval } from './approval.js';
import type { Recovery } from './recovery.js';

export const accounts: AccountKeys[] = Array.from({ length: 12 }, (_, i) =>
  deriveAccountKeys(seededRng(utf8Bytes(`account-${i}`))(32))
);

export const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
// Full Unicode, up to the limits: the codec's byte bound must hold for the largest valid value.
// (Limits count UTF-16 units, as valibot does.)
const unicode = (max: number) =>
  fc.string({ minLength: 1, maxLength: max, unit: 'binary' }).filter((s) => s.length <= max);
const line = unicode(128);
const ident = unicode(256);

const common = {
  t: fc.constant(TAGS.registration),
  v: fc.constant(PROTOCOL_VERSION),
  signingPublic: bytesN(32),
  encryptionPublic: bytesN(32),
  created: fc.nat(),
  sig: bytesN(64)
};

export const registrationArb: fc.Arbitrary<Registration> = fc.oneof(
  fc.record({ ...common, role: fc.constant('patient' as const), pseudonym: bytesN(16) }),
  fc.record({
    ...common,
    role: fc.constant('doctor' as const),
    profile: fc.record({
      name: line,
      speciality: line,
      degree: line,
      hospitalId: ident,
      rank: fc.constantFrom(...RANKS)
    })
  }),
  fc.record({ ...common, role: fc.constant('manager' as const), name: line }),
  fc.record({ ...common, role: fc.constant('hospital' as const), hospitalId: ident, name: line }),
  fc.record({
    ...common,
    role: fc.constant('node' as const),
    hospitalId: ident,
    nodeRole: fc.constantFrom(...NODE_ROLES),
    peerId: ident
  })
);

export const approvalArb: fc.Arbitrary<Approval> = fc.record({
  t: fc.constant(TAGS.approval),
  v: fc.constant(PROTOCOL_VERSION),
  manager: bytesN(32),
  subject: bytesN(32),
  sig: bytesN(64)
});

export const recoveryArb: fc.Arbitrary<Recovery> = fc.record({
  t: fc.constant(TAGS.recovery),
  v: fc.constant(PROTOCOL_VERSION),
  account: bytesN(32),
  newSigningPublic: bytesN(32),
  newEncryptionPublic: bytesN(32),
  created: fc.nat(),
  sig: bytesN(64)
});
