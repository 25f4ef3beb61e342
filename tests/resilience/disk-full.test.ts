/**
 * Scenario — a validator's disk fills up under load. Its data directory is put on a small tmpfs that
 * the test then fills to the last byte. The node must stop by itself, saying in its log that the disk
 * is full (node/disk-full), rather than carry on with its memory ahead of its disk; the other three go
 * on committing every record. Restarted while the disk is still full, it must not get further than
 * saying so. Once space is freed and it is started again, it resumes from what it stored, catches up
 * from its peers, and holds every acknowledged record with the same block ids as everyone else.
 *
 * A mirror keeps a reserve of free disk for its chains. Below it, it refuses new blobs with
 * node/disk-full (and attests nothing) but goes on following and validating its chains; records go to
 * the other mirrors. If the disk fills all the same, it stops at its next write; once back, it repairs
 * from the other mirrors every blob it missed.
 *
 * Needs root's `mount` (a tmpfs is the one way to get a really full disk without filling the
 * machine's); where that is not allowed, the scenario is skipped and reports why.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevnetNode } from '../../src/node/devnet/layout.js';
import { multiaddr } from '@multiformats/multiaddr';
import { TAGS } from '../../src/lib/core/constants.js';
import { sha256 } from '../../src/lib/core/crypto/index.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import { requestMirror } from '../../src/lib/net/mirror.js';
import { storeOnMirror } from '../../src/node/devnet/actors.js';
import {
  compareChains,
  health,
  hospitalChainId,
  Net,
  setupActors,
  waitFor,
  writeRecord,
  type Actors,
  type RecordResult
} from './harness.js';
import { report } from './results.js';

/** Room for the victim's data so far (a few hundred KiB) and a little more, then filled to the end. */
const TMPFS_SIZE = '32m';
const LOAD_WHILE_FULL = 12;
/** The mirror victim's disk reserve (config limits.mirrorReserveMb), well inside the tmpfs. */
const RESERVE_MB = 8;
const MIB = 1024 * 1024;

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
}

/** Whether this process may mount a tmpfs (root in a container that allows it). */
function canMount(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'cc-mount-probe-'));
  try {
    mountTmpfs(probe, '1m');
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Grow a filler file until `leave` bytes are free on the filesystem, or (by default) none at all. */
function fill(dir: string, leave = 0): string {
  const file = join(dir, 'filler');
  const free = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  const fd = openSync(file, 'a');
  try {
    for (const chunk of [1 << 16, 512, 1])
      while (free() > leave)
        try {
          writeSync(fd, Buffer.alloc(Math.min(chunk, Math.max(1, free() - leave)), 1));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          break;
        }
  } finally {
    closeSync(fd);
  }
  return file;
}

/** Set `limits` in `n`'s config (read at its next start). */
function setLimits(n: DevnetNode, limits: Record<string, number>): void {
  const config = JSON.parse(readFileSync(n.configFile, 'utf8')) as { limits?: Record<string, number> };
  config.limits = { ...config.limits, ...limits };
  writeFileSync(n.configFile, JSON.stringify(config, null, 2));
}

const mountable = canMount();
let net: Net;
let a: Actors;
/** Victims whose data is on a tmpfs of ours, and the mount point. */
const mounted: { node: DevnetNode; dir: string }[] = [];
const acked: RecordResult[] = [];
const figures: Record<string, number | string | null> = {};

async function load(n: number, via: DevnetNode[]): Promise<void> {
  const mirrors = via.filter((x) => x.roles.includes('mirror'));
  for (let i = 0; i < n; i++) {
    const r = await writeRecord(net, a, via[i % via.length]!, 600, mirrors);
    expect(r.acked, r.error).toBe(true);
    acked.push(r);
  }
}

/** Stop `n`, move its data onto a small tmpfs, start it there; returns the mount point. */
async function moveToTmpfs(n: DevnetNode): Promise<string> {
  await net.stop(n);
  const data = join(n.dir, 'data');
  renameSync(data, `${data}.disk`);
  mkdirSync(data);
  mountTmpfs(data, TMPFS_SIZE);
  mounted.push({ node: n, dir: data });
  cpSync(`${data}.disk`, data, { recursive: true });
  rmSync(`${data}.disk`, { recursive: true, force: true });
  net.start(n);
  await net.waitHealthy(n);
  return data;
}

/** Resolves with the exit code once `n`'s current process has exited by itself. */
async function exitOf(n: DevnetNode, what: string): Promise<number | null> {
  const p = net.procs.get(n)!;
  await waitFor(what, async () => p.exitCode !== null || p.signalCode !== null, 60_000);
  net.forgetExits(n);
  return p.exitCode;
}

/** Every log line of `n` from byte `from` on that names `code`. */
const linesNaming = (n: DevnetNode, from: number, code: string) =>
  net.logSince(n, from).filter((l) => l.code === code);

beforeAll(async () => {
  if (!mountable) return;
  net = await Net.start({ name: 'diskfull' });
  a = await setupActors(net);
  await load(4, net.h1);
}, 240_000);

afterAll(async () => {
  report(
    'disk-full',
    mountable
      ? { ...figures, crashes: net?.crashes.length ?? null }
      : { skipped: 'mounting a tmpfs is not permitted here' }
  );
  // Stop each victim before unmounting its data, and unmount before the network removes its files.
  for (const m of mounted) {
    await net.stop(m.node);
    execFileSync('umount', ['-l', m.dir]);
  }
  await net?.close();
}, 60_000);

describe.skipIf(!mountable)('disk full', () => {
  it('a validator whose disk fills stops by itself, names the cause, and resumes once space is freed', async () => {
    const victim = net.h1[3]!;
    const others = net.h1.filter((n) => n !== victim);
    expect(victim.roles).toEqual(['validator']);

    const data = await moveToTmpfs(victim);
    const h = (await health(victim.httpUrl)) as { diskFreeBytes: number; diskLow: boolean };
    expect(h.diskFreeBytes).toBeGreaterThan(0);
    expect(h.diskLow, '32 MiB free is below the low-disk mark').toBe(true);

    const from = net.logSize(victim);
    const filler = fill(data);
    const t0 = Date.now();
    // The others keep the chain going: every record is acknowledged by 3 of 4.
    await load(LOAD_WHILE_FULL, others);
    expect(await exitOf(victim, 'the victim stops on its own'), 'it exits non-zero').toBe(1);
    figures.stopped_after_s = Math.round((Date.now() - t0) / 100) / 10;
    expect(linesNaming(victim, from, 'node/disk-full').length, 'its log names the full disk').toBeGreaterThan(
      0
    );

    // Still full: started again, it must stop again naming the disk (or, if LevelDB needs no new
    // byte to open, come up and stop at its first write); either way it never runs on.
    const again = net.logSize(victim);
    net.start(victim);
    expect(await exitOf(victim, 'the restart on a full disk stops')).toBe(1);
    expect(linesNaming(victim, again, 'node/disk-full').length).toBeGreaterThan(0);

    // Space freed: it resumes from its disk and catches up.
    rmSync(filler);
    const t1 = Date.now();
    net.start(victim);
    await net.waitHealthy(victim, 90_000);
    await load(3, others);
    const target = (await net.heads(others[0]!))!.hospital.height;
    await waitFor(
      `${victim.name} catches up to ${target}`,
      async () => ((await net.heads(victim))?.hospital.height ?? 0) >= target,
      30_000
    );
    figures.back_and_caught_up_s = Math.round((Date.now() - t1) / 100) / 10;

    const c = await compareChains(net, net.h1, hospitalChainId('H1'));
    figures.forks = c.forks.length;
    expect(c.forks).toEqual([]);
    let lost = 0;
    for (const n of net.h1) for (const r of acked) if (!(await net.hasRecord(n, 'H1', r.mhrHash))) lost++;
    figures.acked_records_lost = lost;
    expect(lost).toBe(0);
  });

  it('a mirror below its disk reserve refuses new blobs by name and runs on; full, it stops; back, it repairs what it missed', async () => {
    const victim = net.h1[2]!;
    const others = net.h1.filter((n) => n !== victim);
    expect(victim.roles).toContain('mirror');
    setLimits(victim, { mirrorReserveMb: RESERVE_MB });
    const data = await moveToTmpfs(victim);
    const from = net.logSize(victim);
    const before = acked.length;

    // An upload straight to it is refused with the reason, and it signs nothing.
    const upload = () =>
      storeOnMirror(net.client, victim.addr, net.rng(600)).then(
        () => undefined,
        (e: unknown) => e
      );

    // Below the reserve, not full: no new blobs, but it keeps up with its chain.
    const filler = fill(data, (RESERVE_MB / 2) * MIB);
    let refused = await upload();
    expect(isCoreError(refused, 'node/disk-full'), String(refused)).toBe(true);
    expect(((await health(victim.httpUrl)) as { mirrorFull?: boolean }).mirrorFull).toBe(true);
    await load(LOAD_WHILE_FULL / 2, others);
    const target = (await net.heads(others[0]!))!.hospital.height;
    await waitFor(
      `${victim.name}, short of disk, still follows its chain to ${target}`,
      async () => ((await net.heads(victim))?.hospital.height ?? 0) >= target,
      30_000
    );
    expect(net.procs.get(victim)!.exitCode).toBeNull();

    // Full all the same (something else took the disk): refused again, and it stops at its next write.
    fill(data);
    refused = await upload();
    expect(isCoreError(refused, 'node/disk-full'), String(refused)).toBe(true);
    await load(LOAD_WHILE_FULL / 2, others);
    expect(await exitOf(victim, 'the mirror stops on its own')).toBe(1);
    expect(linesNaming(victim, from, 'node/disk-full').length).toBeGreaterThan(0);

    // Freed: it comes back and fetches from the other mirrors every blob it missed.
    rmSync(filler);
    net.start(victim);
    await net.waitHealthy(victim, 90_000);
    const missed = acked.slice(before);
    expect(missed).toHaveLength(LOAD_WHILE_FULL);
    const t1 = Date.now();
    await waitFor(
      `${victim.name} holds the ${missed.length} blobs it missed`,
      async () => {
        for (const r of missed)
          try {
            await requestMirror(net.client, multiaddr(victim.addr), {
              t: TAGS.netMirrorRequest,
              v: 1,
              op: 'attest',
              hash: sha256(r.blob) as never
            });
          } catch {
            return false;
          }
        return true;
      },
      60_000
    );
    figures.mirror_repaired_s = Math.round((Date.now() - t1) / 100) / 10;
  });

  it('no node crashed on its own', () => {
    expect(net.crashes).toEqual([]);
  });
});
