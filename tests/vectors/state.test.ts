import { describe, expect, it } from 'vitest';
import state from './state.json' with { type: 'json' };
import { isCoreError } from '../../src/lib/core/errors.js';
import type { VectorFile } from './runner.js';
import { stateKinds } from './state-kinds.js';

describe('state vectors in Node', () => {
  const file = state as VectorFile;

  it('has cases for roots, valid proofs and each way a proof must fail', () => {
    expect(file.cases.length).toBeGreaterThanOrEqual(20);
    expect(file.cases.some((c) => JSON.stringify(c.expect).includes('proof/invalid'))).toBe(true);
  });

  it('every case gives the recorded result', () => {
    const failed = file.cases
      .map((c) => {
        let got: unknown;
        try {
          got = stateKinds[c.kind]!(c.input);
        } catch (e) {
          got = { error: isCoreError(e) ? e.code : `untyped: ${(e as Error).message}` };
        }
        return { name: c.name, got, pass: JSON.stringify(got) === JSON.stringify(c.expect) };
      })
      .filter((r) => !r.pass);
    expect(failed).toEqual([]);
  });
});
