/**
 * Scenario 4 — Byzantine validators as real processes: node4 of a 4-validator hospital is replaced by
 * byzantine-node.ts, which holds node4's real keys and equivocates (two conflicting signed prevotes per
 * honest proposal) and, whenever it is proposer, proposes blocks with a false state root. The three
 * honest nodes hold 3/4 of the weight: they must keep committing records, commit evidence of the
 * equivocation, never commit a block the liar proposed, and agree on every height.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceTxCodec } from '../../src/lib/core/chain/tx/evidence.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { toHex } from '../../src/lib/core/crypto/index.js';
import { decodeCanonical } from '../../src/lib/core/encoding/cbor.js';
import type { DevnetNode } from '../../src/node/devnet/layout.js';
import { compareChains, hospitalChainId, Net, setupActors, steadyLoad, type Actors } from './harness.js';
import { report } from './results.js';

/** How long the liar runs: the load below plus set-up, then it stops by itself. */
const BYZANTINE_MS = 90_000;
const LOAD_MS = 40_000;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIAR = fileURLToPath(new URL('./byzantine-node.ts', import.meta.url));
const H1 = hospitalChainId('H1');

let net: Net;
let a: Actors;
let liar: DevnetNode;
let liarDone: Promise<string>;
let liarProc: ReturnType<typeof spawn> | undefined;
const figures: Record<string, number | string | null> = { forks: null };

beforeAll(async () => {
  net = await Net.start({ name: 'byzantine', skip: (n) => n.name === 'node4' });
  liar = net.h1[3]!;
  liarProc = spawn(process.execPath, ['--import', 'tsx', LIAR, liar.configFile, String(BYZANTINE_MS)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  liarProc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  liarProc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  liarDone = new Promise((ok) => liarProc!.once('exit', () => ok(out)));
  a = await setupActors(net);
}, 240_000);

afterAll(async () => {
  report('byzantine', figures);
  liarProc?.kill('SIGKILL');
  await net?.close();
}, 60_000);

describe('byzantine validator (equivocation, invalid proposals)', () => {
  it('honest nodes keep committing while the liar equivocates and proposes invalid blocks', async () => {
    const { results } = await steadyLoad(net, a, LOAD_MS);
    const acked = results.filter((r) => r.acked).length;
    figures.records = results.length;
    figures.acked = acked;
    liarProc!.kill('SIGTERM');
    const out = await liarDone;
    const stats = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
    Object.assign(figures, stats);
    console.log('byzantine', figures);
    // Non-vacuous: it did lie, both ways.
    expect(stats.equivocations).toBeGreaterThan(0);
    expect(stats.invalidProposals).toBeGreaterThan(0);
    expect(acked).toBeGreaterThan(results.length * 0.9);
  });

  it('evidence of the equivocation is committed; no block the liar proposed is; no fork', async () => {
    const honest = net.h1.slice(0, 3);
    const head = (await net.heads(honest[0]!))!.hospital.height;
    const blocks = await net.blocks(honest[0]!, H1, 1, head);
    const liarKey = liar.publicKey;
    let evidence = 0;
    for (const b of blocks)
      for (const tx of b.txs) {
        const t = (decodeCanonical(tx) as { t?: unknown }).t;
        if (t === TAGS.txEvidence && toHex(evidenceTxCodec.decode(tx).evidence.voteA.validator) === liarKey)
          evidence++;
      }
    const byLiar = blocks.filter((b) => toHex(b.header.proposer) === liarKey).length;
    const c = await compareChains(net, honest, H1);
    Object.assign(figures, { evidence_txs: evidence, liar_blocks_committed: byLiar, forks: c.forks.length });
    expect(evidence).toBeGreaterThan(0);
    expect(byLiar).toBe(0);
    expect(c.forks).toEqual([]);
    expect(net.crashes).toEqual([]);
  });
});
