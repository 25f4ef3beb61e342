/**
 * Test-only fixtures for the consent tests (a *.node.ts file so it may install the node:crypto
 * Ed25519 backend): real patient and doctor accounts from seeded randomness and memoised real
 * signed grants and revocations, so property tests can draw thousands of events cheaply.
 */
import { setEd25519Backend } from '../crypto/ed25519.js';
import { nodeEd25519 } from '../crypto/ed25519.node.js';
import { deriveAccountKeys, type AccountKeys } from '../crypto/keys.js';
import { seededRng } from '../crypto/random.js';
import { toHex } from '../crypto/hash.js';
import { createGrant, grantId, type Grant, type ScopeInput } from './grant.js';
import { createRevocation, type Revocation } from './revocation.js';

setEd25519Backend(nodeEd25519);

export const DAY = 86_400_000;
export const T0 = 1_767_225_600_000; // 2026-01-01, a realistic 41-bit timestamp

export interface Account {
  seed: Uint8Array;
  keys: AccountKeys;
}

function account(n: number): Account {
  const seed = seededRng(n)(32);
  return { seed, keys: deriveAccountKeys(seed) };
}

export const PATIENTS: Account[] = [account(1), account(2)];
export const DOCTORS: Account[] = [account(11), account(12), account(13)];

export function doctorOf(a: Account) {
  return { signingPublic: a.keys.signingPublic, encryptionPublic: a.keys.encryptionPublic };
}

export const FIVE = ['I', 'IV', 'IX', 'X', 'XVIII'];

export function grant(
  patient: Account,
  doctor: Account,
  seq: number,
  scope: ScopeInput = { categories: FIVE, read: true, write: true },
  window: { notBefore: number; expiry: number } = { notBefore: T0, expiry: T0 + 90 * DAY }
): Grant {
  return createGrant({
    seed: patient.seed,
    doctor: doctorOf(doctor),
    scope,
    ...window,
    seq,
    epoch: 0,
    rng: seededRng(1_000_000 + seq)
  });
}

const grantMemo = new Map<string, Grant>();
const revMemo = new Map<string, Revocation>();

/** The one real grant for (patient, doctor, seq), built once. */
export function memoGrant(p: number, d: number, seq: number): Grant {
  const k = `${p}/${d}/${seq}`;
  let g = grantMemo.get(k);
  if (!g) grantMemo.set(k, (g = grant(PATIENTS[p]!, DOCTORS[d]!, seq)));
  return g;
}

export function memoRevokeDoctor(p: number, d: number, seq: number): Revocation {
  const k = `d/${p}/${d}/${seq}`;
  let r = revMemo.get(k);
  if (!r)
    revMemo.set(
      k,
      (r = createRevocation({
        seed: PATIENTS[p]!.seed,
        target: { doctor: DOCTORS[d]!.keys.signingPublic },
        seq,
        time: T0 + seq
      }))
    );
  return r;
}

export function memoRevokeGrant(p: number, g: Grant, seq: number): Revocation {
  const id = grantId(g);
  const k = `g/${p}/${toHex(id)}/${seq}`;
  let r = revMemo.get(k);
  if (!r)
    revMemo.set(
      k,
      (r = createRevocation({ seed: PATIENTS[p]!.seed, target: { grant: id }, seq, time: T0 + seq }))
    );
  return r;
}
