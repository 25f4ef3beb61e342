import { expect, it } from 'vitest';
import { runSimulation, type SimConfig } from '../../src/lib/core/consensus/sim/simulator.js';
import { Prng } from '../../src/lib/core/consensus/sim/prng.js';
import { N4, N7, STAKED, describeFailure, type Committee } from './scenarios.js';

/** Seeds per committee: each run is 7.5 s of virtual time with client transactions. */
const RUNS = 10;
const GST = 2_000;
/**
 * Rounds (counted at one honest node, across heights) from a transaction's submission after GST to
 * its commit. After GST a round with an honest proposer that holds the transaction and timeouts above
 * the network delay commits; Byzantine proposers (withholding, invalid blocks, split proposals) and
 * locks held from before GST can each cost a round. Measured maxima are printed; the bound leaves room.
 */
const MAX_ROUNDS = 12;

function livenessScenario(c: Committee, seed: number): SimConfig {
  const r = new Prng(`liveness/${seed}`);
  const behaviours = ['equivocate', 'invalid-blocks', 'withhold', 'garbage', 'collude'] as const;
  return {
    seed,
    validators: c.weights.map((weight, i) =>
      c.byzantine.includes(i)
        ? { weight, byzantine: behaviours.filter(() => r.chance(0.5)).concat(r.pick(behaviours)) }
        : { weight }
    ),
    maxVirtualMs: 7_500,
    workload: 'mempool',
    txEveryMs: r.int(5, 30),
    txUntilMs: 5_000,
    gstMs: GST,
    delayMs: [1, 10],
    dropRate: 0.1,
    dupRate: 0.05,
    faultEveryMs: 300,
    faultLengthMs: [50, 400],
    gossipMs: 30
  };
}

it.each([
  ['n = 4, one Byzantine', N4],
  ['n = 7, two Byzantine', N7],
  ['unequal stakes', STAKED]
])(
  'liveness after GST, %s: every transaction submitted after GST commits everywhere within a bounded number of rounds',
  (_n, c) => {
    let worst = 0;
    let count = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const cfg = livenessScenario(c, seed);
      const res = runSimulation(cfg);
      for (const rec of res.txs.values()) {
        if (rec.submittedAt < GST) continue;
        count++;
        if (rec.everywhereAt === undefined || rec.rounds === undefined)
          throw new Error(
            describeFailure(cfg, res, `seed ${seed}: a transaction never committed everywhere`)
          );
        if (rec.rounds > MAX_ROUNDS)
          throw new Error(describeFailure(cfg, res, `seed ${seed}: tx took ${rec.rounds} rounds`));
        worst = Math.max(worst, rec.rounds);
      }
    }
    console.log(
      `liveness ${_n}: ${count} transactions after GST, worst ${worst} rounds (bound ${MAX_ROUNDS})`
    );
    expect(count).toBeGreaterThan(RUNS * 50);
  },
  600_000
);
