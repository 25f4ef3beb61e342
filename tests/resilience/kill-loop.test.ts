/**
 * Scenario 1 — the kill loop: a steady, bounded stream of records from a client over libp2p tx-submit
 * while a random validator is `kill -9`ed every few seconds and restarted after a pause, for five
 * minutes. What must hold: no record whose submit was acknowledged (= durably committed) is missing
 * from any node at the end; every node has the same block at every height; a restarted node reaches
 * the head the others had when it restarted within 10 s; outside fault windows (from a kill until the
 * victim has caught up) at least 95% of records commit within 2 s of their submit.
 *
 * CARECHAIN_KILL_LOOP_S shortens the loop for a quick local run (the suite uses the full 300 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng, toHex, utf8Bytes } from '../../src/lib/core/crypto/index.js';
import type { DevnetNode } from '../../src/node/devnet/layout.js';
import {
  compareChains,
  hospitalChainId,
  Net,
  percentile,
  setupActors,
  sleep,
  waitFor,
  writeRecord,
  type Actors,
  type RecordResult
} from './harness.js';
import { report } from './results.js';

/** Length of the loop: at least the 5 minutes the issue asks for. */
const LOOP_MS = Number(process.env.CARECHAIN_KILL_LOOP_S ?? 300) * 1000;
/** One record every 500 ms: 2/s keeps 2 cores busy but not saturated, so latency measures faults, not overload. */
const RECORD_EVERY_MS = 500;
/** Records in flight at once; a slot finding this many pending is skipped (counted), keeping load bounded. */
const MAX_IN_FLIGHT = 8;
/** A killed node stays down this long: long enough for the others to commit without it. */
const DOWN_MS = 3000;
/** Quiet time between a victim's catch-up and the next kill. */
const GAP_MS = 6000;
/** The bound the issue sets for a restarted node to reach the others' head. */
const CATCHUP_BOUND_S = 10;

let net: Net;
let a: Actors;
const results: RecordResult[] = [];
const windows: { from: number; to: number; node: string }[] = [];
const catchups: {
  node: string;
  fromSpawnS: number;
  fromHealthyS: number;
  /** The node's own start-up phases (ms since its process began), from its 'node started' log line. */
  startMs?: Record<string, number>;
}[] = [];
let skipped = 0;
let figures: Record<string, number | string | null> = {};

beforeAll(async () => {
  net = await Net.start({ name: 'kill-loop' });
  a = await setupActors(net);
}, 240_000);

afterAll(async () => {
  report('kill-loop', figures);
  await net?.close();
}, 60_000);

function inFault(r: RecordResult): boolean {
  return windows.some((w) => r.endedAt >= w.from && r.startedAt <= w.to);
}

async function killOnce(victim: DevnetNode): Promise<void> {
  const from = Date.now();
  await net.kill(victim);
  await sleep(DOWN_MS);
  const others = net.h1.filter((n) => n !== victim);
  const spawnAt = Date.now();
  const target = Math.max(
    ...(await Promise.all(others.map(async (n) => (await net.heads(n))?.hospital.height ?? 0)))
  );
  const logFrom = net.logSize(victim);
  net.start(victim);
  await net.waitHealthy(victim, 60_000);
  const healthyAt = Date.now();
  await waitFor(
    `${victim.name} catches up to ${target}`,
    async () => ((await net.heads(victim))?.hospital.height ?? -1) >= target,
    60_000
  );
  const caughtAt = Date.now();
  catchups.push({
    node: victim.name,
    fromSpawnS: (caughtAt - spawnAt) / 1000,
    fromHealthyS: (caughtAt - healthyAt) / 1000,
    startMs: net.logSince(victim, logFrom).find((l) => l.msg === 'node started')?.startMs as
      Record<string, number> | undefined
  });
  // Allow one round timeout after catch-up for the engine to rejoin the current height.
  windows.push({ from, to: caughtAt + 1500, node: victim.name });
}

describe('kill loop', () => {
  it('kill -9 a random validator every few seconds under load for the whole loop', async () => {
    const pick = seededRng(utf8Bytes('kill-loop/victims'));
    const end = Date.now() + LOOP_MS;
    let inFlight = 0;
    const pending = new Set<Promise<void>>();
    const load = (async () => {
      let i = 0;
      while (Date.now() < end) {
        const tick = Date.now();
        if (inFlight >= MAX_IN_FLIGHT) skipped++;
        else {
          const up = net.h1.filter((n) => net.alive(n));
          const via = up[i++ % up.length]!;
          inFlight++;
          const p = writeRecord(net, a, via).then((r) => {
            results.push(r);
            inFlight--;
          });
          pending.add(p);
          void p.finally(() => pending.delete(p));
        }
        await sleep(Math.max(0, RECORD_EVERY_MS - (Date.now() - tick)));
      }
      await Promise.all(pending);
    })();
    let kills = 0;
    await sleep(GAP_MS);
    while (Date.now() < end - DOWN_MS) {
      const victim = net.h1[pick(1)[0]! % net.h1.length]!;
      await killOnce(victim);
      kills++;
      await sleep(GAP_MS);
    }
    await load;

    const acked = results.filter((r) => r.acked);
    const calm = acked.filter((r) => !inFault(r));
    const within2s = calm.filter((r) => r.latencyMs <= 2000).length;
    figures = {
      kills,
      submitted: results.length,
      acked: acked.length,
      skipped_slots: skipped,
      refused_or_failed: results.length - acked.length,
      calm_records: calm.length,
      calm_within_2s_pct: calm.length ? Math.round((within2s / calm.length) * 10000) / 100 : null,
      p50_commit_ms: percentile(
        acked.map((r) => r.latencyMs),
        50
      ),
      p95_commit_ms_calm: percentile(
        calm.map((r) => r.latencyMs),
        95
      ),
      max_catchup_s: catchups.length ? Math.max(...catchups.map((c) => c.fromSpawnS)) : null,
      max_catchup_after_healthy_s: catchups.length ? Math.max(...catchups.map((c) => c.fromHealthyS)) : null,
      // Where a slow restart went: loading modules, or everything after (storage, replay, libp2p, HTTP).
      max_start_modules_ms: Math.max(0, ...catchups.map((c) => c.startMs?.modules ?? 0)),
      max_start_after_modules_ms: Math.max(
        0,
        ...catchups.map((c) => (c.startMs ? c.startMs.http! - c.startMs.modules! : 0))
      ),
      acked_records_lost: null,
      forks: null
    };
    const errors = new Map<string, number>();
    for (const r of results.filter((x) => !x.acked)) {
      const k = (r.error ?? '?').slice(0, 80);
      errors.set(k, (errors.get(k) ?? 0) + 1);
    }
    console.log('kill loop', figures, 'failures', Object.fromEntries(errors), 'catch-ups', catchups);
    expect(kills).toBeGreaterThanOrEqual(Math.floor(LOOP_MS / 20_000));
    expect(acked.length).toBeGreaterThan(results.length / 2);
  });

  it('zero acknowledged records lost: every acked record is on every node', async () => {
    // Let every node settle on one head first (the load has stopped).
    await waitFor(
      'one head',
      async () => {
        const hs = await Promise.all(net.h1.map((n) => net.heads(n)));
        return new Set(hs.map((h) => `${h?.hospital.height}:${h?.hospital.hash}`)).size === 1;
      },
      30_000
    );
    const ackedRecords = results.filter((x) => x.acked);
    const missing: string[] = [];
    for (const n of net.h1) {
      const committed = await net.committedRecords(n, 'H1');
      for (const r of ackedRecords)
        if (!committed.has(toHex(r.mhrHash))) missing.push(`${n.name}: ${r.via}@${r.startedAt}`);
      // And in the node's state, proof-checked, for a sample (client reads are rate-limited per peer).
      for (const r of ackedRecords.filter((_, i) => i % 50 === 0))
        if (!(await net.hasRecord(n, 'H1', r.mhrHash)))
          missing.push(`${n.name} (state): ${r.via}@${r.startedAt}`);
    }
    figures.acked_records_lost = missing.length;
    expect(missing).toEqual([]);
  });

  it('all nodes agree on every height (block ids compared across nodes)', async () => {
    const c = await compareChains(net, net.h1, hospitalChainId('H1'));
    figures.forks = c.forks.length;
    figures.heights_compared = c.heights;
    expect(c.heights).toBeGreaterThan(10);
    expect(c.forks).toEqual([]);
  });

  it(`every restarted node caught up within ${CATCHUP_BOUND_S} s of its restart`, () => {
    expect(catchups.length).toBeGreaterThan(0);
    expect(catchups.filter((c) => c.fromSpawnS > CATCHUP_BOUND_S)).toEqual([]);
  });

  it('outside fault windows at least 95% of records commit within 2 s', () => {
    expect(Number(figures.calm_records)).toBeGreaterThan(20);
    expect(Number(figures.calm_within_2s_pct)).toBeGreaterThanOrEqual(95);
  });

  it('no node exited except the ones we killed', () => {
    expect(net.crashes).toEqual([]);
  });
});
