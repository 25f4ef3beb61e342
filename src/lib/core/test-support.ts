/**
 * Shared settings for property tests. `CARECHAIN_FUZZ=1` raises the fuzz runs to 100,000 (opt-in,
 * not part of `npm test`). Test-only: nothing outside *.test.ts imports this.
 */
declare const process: { env: Record<string, string | undefined> } | undefined;

const fuzz = typeof process !== 'undefined' && process?.env?.CARECHAIN_FUZZ === '1';

/** Runs for "arbitrary bytes only ever fail with a named error" properties. */
export const FUZZ_RUNS = fuzz ? 100_000 : 1_000;
