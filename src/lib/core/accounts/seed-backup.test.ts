import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CoreError, type ErrorCode } from '../errors.js';
import { seededRng } from '../crypto/index.js';
import { bytesEqual } from '../encoding/cbor.js';
import { combineShares, seedBackupCodec, splitSeedForManagers, unwrapSeedShare } from './seed-backup.js';
import { majorityOf } from './approval.js';
import { accounts } from './test-fixtures.js';

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'none'> {
  try {
    await p;
    return 'none';
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    return e.code;
  }
}

describe('threshold seed backup', () => {
  it('any majority of managers rebuilds the seed; fewer cannot', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 9 }), fc.nat(), fc.nat(), async (n, seedNo, pick) => {
        const seed = seededRng(seedNo)(32);
        const mgrs = accounts.slice(0, n);
        const backup = await splitSeedForManagers(
          seed,
          mgrs.map((m) => m.encryptionPublic),
          seededRng(seedNo + 1)
        );
        expect(backup.threshold).toBe(majorityOf(n));
        expect(seedBackupCodec.decode(seedBackupCodec.encode(backup))).toEqual(backup);
        const shares = backup.shares.map((s, i) => unwrapSeedShare(mgrs[i]!.encryptionSecret, s.wrapped));
        // Rotate so different subsets are used.
        const order = shares.map((_, i) => shares[(i + pick) % n]!);
        const enough = order.slice(0, backup.threshold);
        expect(bytesEqual(await combineShares(enough), seed)).toBe(true);
        expect(bytesEqual(await combineShares(order), seed)).toBe(true);
        if (backup.threshold > 2)
          expect(await codeOf(combineShares(order.slice(0, backup.threshold - 1)))).toBe('crypto/bad-share');
      }),
      { numRuns: 100 }
    );
  });

  it('a share only opens for its own manager', async () => {
    const mgrs = accounts.slice(0, 3);
    const backup = await splitSeedForManagers(
      seededRng(1)(32),
      mgrs.map((m) => m.encryptionPublic),
      seededRng(2)
    );
    expect(() => unwrapSeedShare(mgrs[1]!.encryptionSecret, backup.shares[0]!.wrapped)).toThrowError(
      /crypto\/decrypt-failed/
    );
  });

  it('altered, mixed, repeated or too few shares fail with crypto/bad-share', async () => {
    const mgrs = accounts.slice(0, 5);
    const keys = mgrs.map((m) => m.encryptionPublic);
    const open = async (seedNo: number) =>
      (await splitSeedForManagers(seededRng(seedNo)(32), keys, seededRng(seedNo + 1))).shares.map((s, i) =>
        unwrapSeedShare(mgrs[i]!.encryptionSecret, s.wrapped)
      );
    const a = await open(10);
    const b = await open(20);
    await fc.assert(
      fc.asyncProperty(fc.nat(3 * 65 * 8 - 1), async (bit) => {
        const three = a.slice(0, 3).map((s) => new Uint8Array(s));
        three[Math.floor(bit / 520)]![(bit % 520) >> 3]! ^= 1 << (bit & 7);
        expect(await codeOf(combineShares(three))).toBe('crypto/bad-share');
      }),
      { numRuns: 1000 }
    );
    expect(await codeOf(combineShares([a[0]!, a[1]!, b[2]!]))).toBe('crypto/bad-share');
    expect(await codeOf(combineShares([a[0]!, a[0]!, a[1]!]))).toBe('crypto/bad-share');
    expect(await codeOf(combineShares([a[0]!]))).toBe('crypto/bad-share');
    expect(await codeOf(combineShares([a[0]!, a[1]!.subarray(1)]))).toBe('crypto/bad-share');
  });

  it('needs at least two distinct managers', async () => {
    const seed = seededRng(3)(32);
    const rng = seededRng(4);
    expect(await codeOf(splitSeedForManagers(seed, [accounts[0]!.encryptionPublic], rng))).toBe(
      'account/too-few-managers'
    );
    expect(
      await codeOf(
        splitSeedForManagers(seed, [accounts[0]!.encryptionPublic, accounts[0]!.encryptionPublic], rng)
      )
    ).toBe('account/duplicate-approval');
    expect(await codeOf(splitSeedForManagers(seed.subarray(1), [accounts[0]!.encryptionPublic], rng))).toBe(
      'crypto/bad-key'
    );
  });
});
