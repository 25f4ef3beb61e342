/**
 * `npm run test:resilience`: faults, attacks and load against real node processes. Separate from
 * `npm test` because it runs for minutes by design. One file at a time (maxWorkers 1): each scenario
 * brings up its own network of node processes, and two at once would fight over the 2 cores and turn
 * the latency figures into noise. Budget: the whole suite in under 25 minutes on this machine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Scenario figures travel from the test workers to the summary reporter through this file (the
// workers are forked after this config runs, so they inherit the variable).
process.env.CARECHAIN_RESILIENCE_RESULTS ??= join(
  mkdtempSync(join(tmpdir(), 'cc-res-results-')),
  'results.jsonl'
);

export default defineConfig({
  test: {
    include: ['tests/resilience/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // Generous: a single scenario (the kill loop) runs for over 5 minutes on purpose.
    testTimeout: 600_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    reporters: ['default', './tests/resilience/summary-reporter.ts']
  }
});
