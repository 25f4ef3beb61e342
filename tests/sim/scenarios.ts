/**
 * Seeded scenarios shared by the simulator tests: each seed picks the Byzantine behaviours and the
 * fault rates, so a failing seed reproduces the whole run (`runSimulation(safetyScenario(...))`).
 */
import { setEd25519Backend } from '../../src/lib/core/crypto/ed25519.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { Prng } from '../../src/lib/core/consensus/sim/prng.js';
import {
  runSimulation,
  type Behaviour,
  type SimConfig,
  type SimResult
} from '../../src/lib/core/consensus/sim/simulator.js';

setEd25519Backend(nodeEd25519);

const BEHAVIOURS: Behaviour[] = ['equivocate', 'invalid-blocks', 'withhold', 'garbage', 'collude'];

/** Stakes and which validators are Byzantine. */
export interface Committee {
  weights: number[];
  byzantine: number[];
}

export const N4: Committee = { weights: [1, 1, 1, 1], byzantine: [0] };
export const N7: Committee = { weights: [1, 1, 1, 1, 1, 1, 1], byzantine: [0, 1] };
/** Unequal stakes (doctors by rank): total 12, the two Byzantine hold 3 (25% < 1/3). */
export const STAKED: Committee = { weights: [4, 3, 2, 2, 1], byzantine: [3, 4] };

export function safetyScenario(c: Committee, seed: number, heights = 200): SimConfig {
  const r = new Prng(`scenario/${seed}`);
  // Every Byzantine validator gets a random non-empty subset; collusion is shared or absent.
  const collude = r.chance(0.5);
  // Shuffle who holds which stake and who is Byzantine, so proposer order varies between seeds
  // while the validator keys (and so the signature memo) stay the same.
  const order = c.weights.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const validators = order.map((k) => {
    const weight = c.weights[k]!;
    if (!c.byzantine.includes(k)) return { weight };
    let b = BEHAVIOURS.filter((x) => x !== 'collude' && r.chance(0.5));
    if (collude) b.push('collude');
    if (b.length === 0) b = [r.pick(BEHAVIOURS)];
    return { weight, byzantine: b };
  });
  return {
    seed,
    validators,
    heights,
    maxVirtualMs: 600_000,
    delayMs: [1, r.int(3, 10)],
    dropRate: r.pick([0, 0, 0.01, 0.05]),
    dupRate: r.pick([0, 0.02]),
    faultEveryMs: r.pick([0, 500, 2000]),
    faultLengthMs: [20, 200],
    gstMs: Number.MAX_SAFE_INTEGER,
    workload: 'synthetic',
    txEveryMs: 0,
    gossipMs: 30
  };
}

/** Runs and heights of the safety suites; CARECHAIN_SIM_RUNS overrides the runs (e.g. a quick local pass). */
export const SAFETY_RUNS = Number(process.env.CARECHAIN_SIM_RUNS ?? 200);
export const SAFETY_HEIGHTS = 200;

/**
 * Run `runs` seeded safety runs of a committee; throw with the failing seed and its config on the
 * first fork, bad certificate, or run that did not reach the heights. Returns totals for the log.
 */
export function safetySuite(c: Committee, runs = SAFETY_RUNS, heights = SAFETY_HEIGHTS) {
  let commits = 0;
  let multiRound = 0;
  let maxRound = 0;
  let evidence = 0;
  let invalid = 0;
  let checks = 0;
  for (let seed = 1; seed <= runs; seed++) {
    const cfg = safetyScenario(c, seed, heights);
    const res = runSimulation(cfg);
    if (res.violations.length > 0)
      throw new Error(describeFailure(cfg, res, `seed ${seed}: SAFETY VIOLATION`));
    if (res.badCerts.length > 0)
      throw new Error(describeFailure(cfg, res, `seed ${seed}: bad commit certificate`));
    if (res.minHonestHeight < heights)
      throw new Error(describeFailure(cfg, res, `seed ${seed}: only ${res.minHonestHeight} heights`));
    commits += res.blocks.length;
    multiRound += res.blocks.filter((b) => b.cert.round > 0).length;
    maxRound = Math.max(maxRound, res.maxRound);
    evidence += res.evidence.length;
    invalid += res.invalidMessages;
    checks += res.signatureChecks;
  }
  return { runs, heights, commits, multiRound, maxRound, evidence, invalid, checks };
}

export function describeFailure(cfg: SimConfig, res: SimResult, what: string): string {
  return (
    `${what} — reproduce with runSimulation(${JSON.stringify({ ...cfg, maxVirtualMs: cfg.maxVirtualMs })})\n` +
    `violations=${JSON.stringify(res.violations)} badCerts=${JSON.stringify(res.badCerts)} ` +
    `heights=${res.heights} states=${JSON.stringify(res.states)}`
  );
}
