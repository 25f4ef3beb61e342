/**
 * Scenario 2 — torn writes: damage the newest files of a stopped node's LevelDB (cut the tail off the
 * write-ahead .log; garbage over the .log's tail; garbage inside the newest .ldb table) and start it
 * again. It must either come back at a durable state of its own (never ahead of what it had, never a
 * different block) or refuse to start with a clear message — then the operator's remedy, an emptied
 * data directory, must resync it. In every case it rejoins within the bound, and every block it
 * serves afterwards has the right hash, links to its parent, and matches every other node's.
 */
import { readdirSync, rmSync, statSync, truncateSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevnetNode } from '../../src/node/devnet/layout.js';
import {
  compareChains,
  hospitalChainId,
  Net,
  setupActors,
  sleep,
  waitFor,
  writeRecord,
  type Actors
} from './harness.js';
import { report } from './results.js';

let net: Net;
let a: Actors;
const acked: Uint8Array[] = [];
const outcomes: string[] = [];
let forks = 0;
let maxCatchupS = 0;

/** Newest LevelDB file with this extension (the data .log is NNNNNN.log; "LOG" is LevelDB's own text log). */
function newest(dir: string, ext: '.log' | '.ldb'): string | undefined {
  return readdirSync(dir)
    .filter((f) => /^\d+\./.test(f) && f.endsWith(ext))
    .map((f) => ({ f: join(dir, f), n: Number(f.split('.')[0]) }))
    .sort((x, y) => y.n - x.n)[0]?.f;
}

function garbage(file: string, at: 'tail' | 'middle', bytes = 256): string {
  const size = statSync(file).size;
  const len = Math.min(bytes, size);
  const pos = at === 'tail' ? size - len : Math.max(0, Math.floor(size / 2) - len / 2);
  const fd = openSync(file, 'r+');
  writeSync(fd, net.rng(len), 0, len, pos);
  closeSync(fd);
  return `${len} random bytes at ${pos}/${size} of ${file.split('/').pop()}`;
}

async function load(n: number): Promise<void> {
  const up = net.h1.filter((x) => net.alive(x));
  for (let i = 0; i < n; i++) {
    const r = await writeRecord(
      net,
      a,
      up[i % up.length]!,
      600,
      up.filter((x) => x.roles.includes('mirror'))
    );
    expect(r.acked, r.error).toBe(true);
    acked.push(r.mhrHash);
  }
}

/** The victim's height once it has every block the others committed (so nothing lands after we read it). */
async function settled(victim: DevnetNode): Promise<number> {
  return waitFor(
    `${victim.name} settles`,
    async () => {
      const mine = (await net.heads(victim))?.hospital.height ?? -1;
      const ref = (await net.heads(net.h1[0]!))?.hospital.height ?? -2;
      return mine === ref ? mine : undefined;
    },
    20_000
  );
}

/** Start the damaged node; if it refuses, check it said why, then resync it from an empty data dir. */
async function restartDamaged(victim: DevnetNode, before: number, damage: string): Promise<void> {
  const logFrom = net.logSize(victim);
  const p = net.start(victim);
  const outcome = await waitFor(
    `${victim.name} up or refused`,
    async () => {
      if (p.exitCode !== null || p.signalCode !== null) return 'refused';
      return (await net.heads(victim)) ? 'started' : undefined;
    },
    90_000
  );
  if (outcome === 'started') {
    // It recovered to a durable state of its own: the height its disk replay reached (logged before
    // any block-sync; no line = nothing stored) is never beyond what it had before the damage.
    const lines = net.logSince(victim, logFrom);
    expect(lines.some((l) => l.msg === 'node started')).toBe(true);
    const replay = lines.find((l) => l.msg === 'replayed stored blocks' && l.chain === 'hospital') as
      { height: number } | undefined;
    const h = replay?.height ?? 0;
    expect(h).toBeLessThanOrEqual(before);
    // Whatever it holds now must be right: same ids as a healthy node.
    const now = (await net.heads(victim))!.hospital.height;
    const own = await net.blockIds(victim, hospitalChainId('H1'), 1, now);
    const ref = await net.blockIds(net.h1[0]!, hospitalChainId('H1'), 1, now);
    for (const [height, id] of own) expect(id, `block ${height} after recovery`).toBe(ref.get(height));
    outcomes.push(`${damage}: started at ${h} (had ${before})`);
  } else {
    const lines = net.logSince(victim, logFrom);
    const why = lines
      .filter((l) => l.level === 'error' || l.level === 'warn')
      .map((l) => `${String(l.msg)}: ${String(l.code ?? l.error ?? '').split('\n')[0]}`);
    expect(why.length, 'a refusal to start must say why in the log').toBeGreaterThan(0);
    expect(p.exitCode, 'a refusal is a non-zero exit').not.toBe(0);
    // A refusal to start is the allowed outcome, not a crash.
    net.forgetExits(victim);
    outcomes.push(`${damage}: refused to start (${why.at(-1)}) → emptied data dir, resynced`);
    rmSync(join(victim.dir, 'data'), { recursive: true, force: true });
    net.start(victim);
    await net.waitHealthy(victim, 90_000);
  }
}

async function catchUp(victim: DevnetNode): Promise<void> {
  const target = (await net.heads(net.h1[0]!))!.hospital.height;
  const t0 = Date.now();
  await waitFor(
    `${victim.name} catches up to ${target}`,
    async () => ((await net.heads(victim))?.hospital.height ?? 0) >= target,
    30_000
  );
  maxCatchupS = Math.max(maxCatchupS, (Date.now() - t0) / 1000);
}

async function checkAll(): Promise<void> {
  const c = await compareChains(net, net.h1, hospitalChainId('H1'));
  forks += c.forks.length;
  expect(c.forks).toEqual([]);
  for (const n of net.h1)
    for (const h of acked)
      expect(await net.hasRecord(n, 'H1', h), `${n.name} lost an acked record`).toBe(true);
}

beforeAll(async () => {
  net = await Net.start({ name: 'torn' });
  a = await setupActors(net);
  await load(8);
}, 240_000);

afterAll(async () => {
  report('torn-writes', {
    forks,
    max_catchup_s: Math.round(maxCatchupS * 10) / 10,
    acked_records_lost: null,
    crashes: net?.crashes.length ?? null,
    outcomes: outcomes.join(' | ')
  });
  await net?.close();
}, 60_000);

describe('torn writes', () => {
  it('kill -9, then the tail of the newest .log cut off: recovers or refuses clearly, then resyncs', async () => {
    const victim = net.h1[3]!;
    await settled(victim);
    await net.kill(victim);
    // The bound is what the network had committed once the victim was down: a block may commit
    // between the settled read and the stop, and the victim may durably hold it.
    const before = (await net.heads(net.h1[0]!))!.hospital.height;
    await load(4);
    const file = newest(net.dataDir(victim), '.log')!;
    const size = statSync(file).size;
    truncateSync(file, Math.floor(size * 0.7));
    await restartDamaged(
      victim,
      before,
      `truncated ${file.split('/').pop()} ${size}→${Math.floor(size * 0.7)}`
    );
    await catchUp(victim);
    await checkAll();
  });

  it('stopped, then garbage over the tail of the newest .log', async () => {
    const victim = net.h1[2]!;
    await load(3);
    await settled(victim);
    await net.stop(victim);
    // The bound is what the network had committed once the victim was down: a block may commit
    // between the settled read and the stop, and the victim may durably hold it.
    const before = (await net.heads(net.h1[0]!))!.hospital.height;
    await load(3);
    const what = garbage(newest(net.dataDir(victim), '.log')!, 'tail');
    await restartDamaged(victim, before, what);
    await catchUp(victim);
    await checkAll();
  });

  it('stopped, then garbage inside the newest .ldb table', async () => {
    const victim = net.h1[3]!;
    await load(3);
    await settled(victim);
    await net.stop(victim);
    // The bound is what the network had committed once the victim was down: a block may commit
    // between the settled read and the stop, and the victim may durably hold it.
    const before = (await net.heads(net.h1[0]!))!.hospital.height;
    await load(3);
    const dir = net.dataDir(victim);
    const table = newest(dir, '.ldb');
    const what = garbage(table ?? newest(dir, '.log')!, 'middle', 1024);
    await restartDamaged(victim, before, what);
    await catchUp(victim);
    // Reads that touch the damaged table happen now: serving must still never return a wrong block.
    await sleep(1000);
    await checkAll();
  });

  it('no node crashed on its own', () => {
    expect(net.crashes).toEqual([]);
  });
});
