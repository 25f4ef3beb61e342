import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBackup } from '../../lib/core/accounts/index.js';
import { deriveAccountKeys, openWithPassphrase, seededRng, toHex } from '../../lib/core/crypto/index.js';
import { DEMO_PASSPHRASE, demoBackupName, writeDemoBackups, type DemoAccount } from './demo-backups.js';

const rng = seededRng(3);
const ACCOUNTS: DemoAccount[] = [
  { role: 'manager', name: 'Manager 1', seed: toHex(rng(32)) },
  { role: 'patient', name: 'Fatema Begum', seed: toHex(rng(32)), pseudonym: toHex(rng(16)) },
  { role: 'doctor', name: 'Dr. Ayesha Rahman (H2)', hospital: 'H2', rank: 'professor', seed: toHex(rng(32)) }
];

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('devnet demo account backups', () => {
  it('writes one backup per account that the app parses and opens with the printed passphrase', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cc-demo-'));
    await writeDemoBackups(dir, ACCOUNTS);
    expect(readdirSync(dir).sort()).toEqual([
      'doctor-dr-ayesha-rahman-h2.json',
      'manager-manager-1.json',
      'patient-fatema-begum.json'
    ]);
    for (const a of ACCOUNTS) {
      const b = parseBackup(readFileSync(join(dir, demoBackupName(a)), 'utf8'));
      const seed = await openWithPassphrase(DEMO_PASSPHRASE, b.box);
      expect(toHex(seed)).toBe(a.seed);
      expect(b.signingPublic).toEqual(deriveAccountKeys(seed).signingPublic);
      expect(b.role).toBe(a.role);
      expect(b.label).toBe(a.name);
      expect(b.pseudonym ? toHex(b.pseudonym) : undefined).toBe(a.pseudonym);
      await expect(openWithPassphrase('another passphrase', b.box)).rejects.toThrow();
    }
  });

  it('leaves the files of a resumed devnet as they are', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cc-demo-'));
    await writeDemoBackups(dir, ACCOUNTS);
    const before = readFileSync(join(dir, demoBackupName(ACCOUNTS[1]!)), 'utf8');
    await writeDemoBackups(dir, ACCOUNTS);
    expect(readFileSync(join(dir, demoBackupName(ACCOUNTS[1]!)), 'utf8')).toBe(before);
  });
});
