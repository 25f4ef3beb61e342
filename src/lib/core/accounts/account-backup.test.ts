import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deriveAccountKeys, sealWithPassphrase, seededRng, openWithPassphrase } from '../crypto/index.js';
import { isCoreError } from '../errors.js';
import { FUZZ_RUNS } from '../test-support.js';
import { backupFile, parseBackup, type AccountBackup } from './account-backup.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

async function account(): Promise<{ acc: AccountBackup; seed: Uint8Array }> {
  const rng = seededRng(7);
  const seed = rng(32);
  const keys = deriveAccountKeys(seed);
  const box = await sealWithPassphrase('correct horse battery', seed, rng, FAST);
  return {
    seed,
    acc: {
      role: 'patient',
      label: 'phone',
      signingPublic: keys.signingPublic,
      encryptionPublic: keys.encryptionPublic,
      box,
      createdAt: 1_700_000_000_000
    }
  };
}

describe('account backup file', () => {
  it('round-trips and still opens only with the passphrase', async () => {
    const { acc, seed } = await account();
    const back = parseBackup(backupFile(acc));
    expect(back).toEqual(acc);
    expect(await openWithPassphrase('correct horse battery', back.box)).toEqual(seed);
    await expect(openWithPassphrase('wrong horse battery', back.box)).rejects.toThrow();
  });

  it('rejects anything that is not exactly a backup with client/bad-backup', async () => {
    const { acc } = await account();
    const good = JSON.parse(backupFile(acc));
    const bad = [
      'not json',
      '{}',
      JSON.stringify({ ...good, version: 2 }),
      JSON.stringify({ ...good, extra: 1 }),
      JSON.stringify({ ...good, role: 'admin' }),
      JSON.stringify({ ...good, signingPublic: good.signingPublic.slice(2) }),
      JSON.stringify({ ...good, box: { ...good.box, salt: 'zz'.repeat(16) } }),
      JSON.stringify({ ...good, box: { ...good.box, N: -1 } }),
      'x'.repeat(20_000)
    ];
    for (const text of bad) {
      let err: unknown;
      try {
        parseBackup(text);
      } catch (e) {
        err = e;
      }
      expect(isCoreError(err, 'client/bad-backup'), text.slice(0, 40)).toBe(true);
    }
  });

  it('never throws anything but a named error on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseBackup(text);
        } catch (e) {
          expect(isCoreError(e, 'client/bad-backup')).toBe(true);
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });
});
