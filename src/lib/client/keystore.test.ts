import { describe, expect, it } from 'vitest';
import { checkPassphrase } from './keystore.js';

describe('passphrase', () => {
  it('refuses short passphrases', () => {
    expect(() => checkPassphrase('short')).toThrow(/weak-passphrase/);
    expect(() => checkPassphrase('long enough pass')).not.toThrow();
  });
});
