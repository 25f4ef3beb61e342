import { describe, expect, it } from 'vitest';
import { ERROR_CODES, CoreError } from '../core/errors.js';
import { LIGHT_ERROR_CODES, MESSAGES, explain } from './error-messages.js';

describe('plain-language errors', () => {
  it('has an English and a Bangla sentence for every CoreError code and light-client failure', () => {
    const missing = [...Object.keys(ERROR_CODES), ...LIGHT_ERROR_CODES].filter((c) => {
      const m = MESSAGES[c];
      return !m || !m[0].trim() || !m[1].trim() || !/[\u0980-\u09FF]/.test(m[1]);
    });
    expect(missing).toEqual([]);
  });

  it('explains a thrown CoreError by its code and flags tampering as an alarm', () => {
    const e = explain(new CoreError('record/hash-mismatch'));
    expect(e.code).toBe('record/hash-mismatch');
    expect(e.alarm).toBe(true);
    expect(explain(new CoreError('client/wrong-passphrase')).alarm).toBe(false);
    expect(explain({ code: 'light/record-altered' }).alarm).toBe(true);
  });

  it('falls back to a group sentence for a code it does not know yet', () => {
    expect(explain({ code: 'net/some-new-code' }).text[0]).toMatch(/connection/);
  });
});
