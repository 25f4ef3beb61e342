/**
 * Optional threshold backup of a patient's account seed to the system managers, so a recovered
 * account can read its old records again. The seed is split with Shamir's scheme (the audited
 * `shamir-secret-sharing` package) into one share per manager, any majority of which rebuilds it;
 * each share is wrapped (X25519, `wrapTo`) to that manager's encryption key, so the backup itself
 * can sit anywhere. Fewer than a majority of managers learn nothing about the seed.
 *
 * Randomness: the wrapping uses the injected `rng`, but the Shamir library draws its polynomial
 * coefficients from the platform CSPRNG (`crypto.getRandomValues`) and takes no rng parameter. That
 * is the one use of ambient randomness in core; it has no other I/O, and a backup is not something
 * simulation needs to replay. Both calls are async only because the library's API is.
 *
 * Each share plaintext is check ‖ shamirShare, where check = taggedHash("cc/seed-check", seed):
 * `combineShares` can then tell a wrong or short set of shares from the real seed.
 */
import * as v from 'valibot';
import { combine, split } from 'shamir-secret-sharing';
import { ACCOUNT_LIMITS, PROTOCOL_VERSION, TAGS } from '../constants.js';
import { CoreError } from '../errors.js';
import { bytesEqual } from '../encoding/cbor.js';
import { defineCodec } from '../encoding/codec.js';
import { header, uintMax } from '../encoding/schema.js';
import { NONCE_BYTES, TAG_BYTES } from '../crypto/aead.js';
import { concatBytes, taggedHash, toHex } from '../crypto/hash.js';
import type { Rng } from '../crypto/random.js';
import { unwrapWith, wrapTo } from '../crypto/x25519.js';
import { fixedBytes, key32 } from './key-bytes.js';
import { majorityOf } from './approval.js';

const SEED_BYTES = 32;
/** check (32) ‖ Shamir share (seed bytes + 1 byte x-coordinate). */
export const SEED_SHARE_BYTES = 32 + SEED_BYTES + 1;
const WRAPPED_SHARE_BYTES = 32 + NONCE_BYTES + SEED_SHARE_BYTES + TAG_BYTES;
const CONTEXT = 'seed-share';

export const SeedBackupSchema = v.strictObject({
  ...header(TAGS.seedBackup),
  /** Shares needed: a majority of the managers at the time of the backup. */
  threshold: uintMax(ACCOUNT_LIMITS.maxManagers),
  shares: v.pipe(
    v.array(v.strictObject({ manager: key32, wrapped: fixedBytes(WRAPPED_SHARE_BYTES) })),
    v.minLength(2),
    v.maxLength(ACCOUNT_LIMITS.maxManagers)
  )
});
export type SeedBackup = v.InferOutput<typeof SeedBackupSchema>;

/** 255 shares of ~170 bytes: 64 KiB bounds the largest council. */
export const seedBackupCodec = defineCodec('seed-backup', SeedBackupSchema, 64 * 1024);

function badShare(detail: string): never {
  throw new CoreError('crypto/bad-share', { detail });
}

export async function splitSeedForManagers(
  seed: Uint8Array,
  managerEncryptionKeys: readonly Uint8Array[],
  rng: Rng
): Promise<SeedBackup> {
  if (seed.length !== SEED_BYTES) throw new CoreError('crypto/bad-key', { detail: 'seed must be 32 bytes' });
  const seen = new Set(managerEncryptionKeys.map((k) => toHex(k)));
  if (seen.size !== managerEncryptionKeys.length)
    throw new CoreError('account/duplicate-approval', { detail: 'a manager key is listed twice' });
  const n = managerEncryptionKeys.length;
  if (n < 2) throw new CoreError('account/too-few-managers', { managers: n });
  if (n > ACCOUNT_LIMITS.maxManagers) throw new CoreError('decode/too-large', { managers: n });
  const threshold = majorityOf(n);
  const check = taggedHash(TAGS.seedCheck, seed);
  // The library insists on a plain Uint8Array (not a subclass such as Buffer).
  const shares = await split(new Uint8Array(seed), n, threshold);
  return seedBackupCodec.parse({
    t: TAGS.seedBackup,
    v: PROTOCOL_VERSION,
    threshold,
    shares: shares.map((s, i) => ({
      manager: managerEncryptionKeys[i]!,
      wrapped: wrapTo(managerEncryptionKeys[i]!, concatBytes(check, s), CONTEXT, rng)
    }))
  });
}

/** A manager opens their share (to hand it, over a secure channel, to the recovering patient). */
export function unwrapSeedShare(managerEncryptionSecret: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const share = unwrapWith(managerEncryptionSecret, wrapped, CONTEXT);
  if (share.length !== SEED_SHARE_BYTES) badShare('share has the wrong length');
  return share;
}

export async function combineShares(shares: readonly Uint8Array[]): Promise<Uint8Array> {
  if (shares.length < 2) badShare('at least two shares are needed');
  if (shares.length > ACCOUNT_LIMITS.maxManagers) badShare('more shares than managers');
  const check = shares[0]!.subarray(0, 32);
  const xs = new Set<number>();
  for (const s of shares) {
    if (!(s instanceof Uint8Array) || s.length !== SEED_SHARE_BYTES) badShare('share has the wrong length');
    if (!bytesEqual(s.subarray(0, 32), check)) badShare('shares come from different backups');
    const x = s[SEED_SHARE_BYTES - 1]!;
    if (x === 0 || xs.has(x)) badShare('share coordinates must be distinct and non-zero');
    xs.add(x);
  }
  let seed: Uint8Array;
  try {
    seed = await combine(shares.map((s) => new Uint8Array(s.subarray(32))));
  } catch (e) {
    badShare((e as Error).message);
  }
  if (!bytesEqual(taggedHash(TAGS.seedCheck, seed), check))
    badShare('the shares do not rebuild the seed (too few, or altered)');
  return seed;
}
