import { expect, it } from 'vitest';
import { runSimulation, type SimConfig } from '../../src/lib/core/consensus/sim/simulator.js';
import './scenarios.js';

/**
 * The same simulator and checker as the safety suites, with colluding Byzantine weight above 1/3:
 * they show each half of the honest nodes a different block and vote for each half's block there.
 * (At exactly 1/3 safety still holds: two quorums of > 2/3 overlap in > 1/3, so one honest node is in
 * both. The bound Tendermint needs is Byzantine weight < quorum overlap.)
 */
function splitBrain(seed: number, weights: number[], colluders: number[]): SimConfig {
  return {
    seed,
    validators: weights.map((weight, i) =>
      colluders.includes(i) ? { weight, byzantine: ['collude'] } : { weight }
    ),
    heights: 50,
    maxVirtualMs: 60_000,
    workload: 'synthetic',
    txEveryMs: 0,
    delayMs: [1, 5],
    stopOnViolation: true
  };
}

it.each([
  ['n = 4, two colluders (1/2 of the weight)', [1, 1, 1, 1], [1, 2]],
  ['n = 7, three colluders (3/7)', [1, 1, 1, 1, 1, 1, 1], [0, 3, 5]],
  ['unequal stakes 4/3/2/2/1, colluders hold 6/12', [4, 3, 2, 2, 1], [0, 2]]
])('the checker finds a fork when Byzantine weight exceeds 1/3: %s', (_name, weights, colluders) => {
  const found: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const res = runSimulation(splitBrain(seed, weights, colluders));
    if (res.violations.length > 0) found.push(seed);
  }
  console.log(`forks found in seeds ${found.join(', ')}`);
  expect(found.length).toBeGreaterThan(0);
});

it('the same collusion below 1/3 finds nothing (control)', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const res = runSimulation(splitBrain(seed, [1, 1, 1, 1, 1, 1, 1], [0, 3]));
    expect(res.violations, `seed ${seed}`).toEqual([]);
  }
});
