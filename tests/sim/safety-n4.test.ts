import { expect, it } from 'vitest';
import { N4, SAFETY_HEIGHTS, SAFETY_RUNS, safetySuite } from './scenarios.js';

it(`safety, n = 4, one Byzantine (weight 1/4): ${SAFETY_RUNS} seeded runs × ${SAFETY_HEIGHTS} heights, no fork, every certificate verifies`, () => {
  const t = process.cpuUsage();
  const s = safetySuite(N4);
  console.log('safety n4', JSON.stringify(s), 'cpu s', (process.cpuUsage(t).user / 1e6).toFixed(1));
  expect(s.commits).toBeGreaterThanOrEqual(SAFETY_RUNS * SAFETY_HEIGHTS);
  // the schedules did exercise locking across rounds, not just round-0 commits
  expect(s.multiRound).toBeGreaterThan(0);
}, 900_000);
