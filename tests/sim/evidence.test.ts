import { expect, it } from 'vitest';
import { runSimulation, type Behaviour, type SimConfig } from '../../src/lib/core/consensus/sim/simulator.js';
import { Prng } from '../../src/lib/core/consensus/sim/prng.js';
import { describeFailure } from './scenarios.js';

const RUNS = 20;
/** The bound: evidence of an equivocation is on chain within 10 heights of it. */
const WITHIN = 10;

function equivocationScenario(seed: number): SimConfig {
  const r = new Prng(`evidence/${seed}`);
  const n = r.pick([4, 7]);
  const extra: Behaviour[] = (['invalid-blocks', 'garbage'] as const).filter(() => r.chance(0.5));
  const byz = r.int(0, n - 1);
  return {
    seed,
    validators: Array.from({ length: n }, (_, i) =>
      i === byz ? { weight: 1, byzantine: ['equivocate', ...extra] } : { weight: 1 }
    ),
    heights: 30,
    maxVirtualMs: 60_000,
    workload: r.chance(0.5) ? 'synthetic' : 'mempool',
    txEveryMs: 10,
    delayMs: [1, r.int(3, 10)],
    dropRate: r.pick([0, 0.02]),
    gossipMs: 20,
    // Honest nodes relay the votes they hold, so the two halves' conflicting votes meet.
    relay: true
  };
}

it(`evidence: an equivocating validator is on chain within ${WITHIN} heights, in each of ${RUNS} seeded runs`, () => {
  const lags: number[] = [];
  for (let seed = 1; seed <= RUNS; seed++) {
    const cfg = equivocationScenario(seed);
    const res = runSimulation(cfg);
    expect(res.violations).toEqual([]);
    const [offender, firstHeight] = [...res.equivocatedAt][0] ?? [];
    if (offender === undefined || firstHeight === undefined)
      throw new Error(describeFailure(cfg, res, `seed ${seed}: the Byzantine validator never equivocated`));
    const onChain = res.evidence.filter((e) => e.offender === offender).map((e) => e.committedAt);
    const first = Math.min(...onChain);
    if (!(first <= firstHeight + WITHIN))
      throw new Error(
        describeFailure(cfg, res, `seed ${seed}: equivocation at ${firstHeight}, evidence at ${first}`)
      );
    // Only the real offender is ever accused.
    expect(res.evidence.every((e) => e.offender === offender)).toBe(true);
    lags.push(first - firstHeight);
  }
  console.log(
    `evidence lag (heights): max ${Math.max(...lags)}, mean ${(lags.reduce((a, b) => a + b, 0) / lags.length).toFixed(1)}`
  );
}, 300_000);
