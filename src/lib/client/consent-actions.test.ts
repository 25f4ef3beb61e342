import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FUZZ_RUNS } from '../core/test-support.js';
import { nextCounter } from './consent-actions.js';

const T = 1_780_000_000_000;

describe('consent sequence numbers and epochs', () => {
  it('a new device starts past every number an old counter-based or clock-based device used', () => {
    expect(nextCounter(undefined, T)).toBe(T);
    // An old device that counted 1, 2, 3 … and one that followed the clock a minute ago.
    expect(nextCounter(undefined, T)).toBeGreaterThan(3);
    expect(nextCounter(undefined, T)).toBeGreaterThan(T - 60_000);
  });

  it('always grows, even when the clock goes back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 * T }), { minLength: 1, maxLength: 50 }), (clocks) => {
        let current: number | undefined;
        for (const now of clocks) {
          const next = nextCounter(current, now);
          expect(next).toBeGreaterThan(current ?? -1);
          expect(next).toBeGreaterThanOrEqual(now);
          current = next;
        }
      }),
      { numRuns: FUZZ_RUNS }
    );
  });
});
