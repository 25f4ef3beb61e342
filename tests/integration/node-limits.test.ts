/**
 * The config's `limits` reach a real node process: a one-node hospital started with a tiny request
 * rate, a heap ceiling it is already above and a mirror disk reserve larger than any disk. It must
 * throttle a burst of requests from one client at that rate, refuse new transactions while above its
 * memory ceiling, refuse new blobs below its reserve, say all three in /health, and keep running.
 */
import '../../src/node/polyfills.js';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Libp2p } from 'libp2p';
import { multiaddr } from '@multiformats/multiaddr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSORTIUM_CHAIN_ID } from '../../src/lib/core/chain/header.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { fromHex, seededRng, utf8Bytes } from '../../src/lib/core/crypto/index.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import { requestHeader } from '../../src/lib/net/header.js';
import {
  account,
  createClient,
  patientFields,
  registerTx,
  storeOnMirror,
  submit
} from '../../src/node/devnet/actors.js';
import { createLayout, type DevnetNode } from '../../src/node/devnet/layout.js';
import { freePortBlock } from '../../src/node/devnet/ports.js';
import { health, spawnNode, stopProcess, waitHealthy } from '../../src/node/devnet/process.js';

const RATE = 5;
const dir = mkdtempSync(join(tmpdir(), 'cc-limits-'));
const rng = seededRng(utf8Bytes('node-limits'));
let node: DevnetNode;
let proc: ChildProcess;
let managers: ReturnType<typeof account>[];
const clients: Libp2p[] = [];

const client = async () => {
  const c = await createClient();
  clients.push(c);
  return c;
};

beforeAll(async () => {
  const layout = await createLayout(dir, {
    hospitals: 1,
    nodesPerHospital: 1,
    mirrors: 1,
    basePort: await freePortBlock(4, 13000, 16000),
    seed: 'node-limits'
  });
  node = layout.hospitals[0]!.nodes[0]!;
  managers = layout.managers.map((m) => account(m.name, fromHex(m.seed)));
  const config = JSON.parse(readFileSync(node.configFile, 'utf8')) as Record<string, unknown>;
  config.limits = { readsPerPeerPerSecond: RATE, maxMemoryMb: 1, mirrorReserveMb: 1_000_000 };
  writeFileSync(node.configFile, JSON.stringify(config));
  proc = spawnNode(node.configFile, join(node.dir, 'node.log'));
  await waitHealthy(node.name, node.httpUrl, proc, join(node.dir, 'node.log'));
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.stop();
  if (proc) await stopProcess(proc);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('config limits on a running node', () => {
  it('/health says the node is above its memory ceiling and its mirror below its disk reserve', async () => {
    const h = (await health(node.httpUrl)) as Record<string, unknown>;
    expect(h.memoryHigh).toBe(true);
    expect(h.heapUsedBytes).toBeGreaterThan(1024 * 1024);
    expect(h.mirrorFull).toBe(true);
  });

  it('throttles one client at readsPerPeerPerSecond (burst of twice that) with net/rate-limited', async () => {
    const c = await client();
    const answers: string[] = [];
    for (let i = 0; i < 4 * RATE; i++)
      answers.push(
        await requestHeader(c, multiaddr(node.addr), {
          t: TAGS.netHeaderRequest,
          v: 1,
          chainId: CONSORTIUM_CHAIN_ID,
          trustedHeight: 0
        }).then(
          () => 'ok',
          (e: unknown) => (isCoreError(e) ? e.code : String(e))
        )
      );
    const ok = answers.filter((a) => a === 'ok').length;
    // The burst (2 × RATE) and what refilled meanwhile; the default limit would have served all 20.
    expect(ok).toBeGreaterThanOrEqual(2 * RATE);
    expect(ok).toBeLessThan(4 * RATE);
    expect(
      answers.filter((a) => a !== 'ok').every((a) => a === 'net/rate-limited'),
      answers.join()
    ).toBe(true);
  });

  it('above its memory ceiling refuses a new transaction with node/mempool-full', async () => {
    const r = await submit(
      await client(),
      node.addr,
      CONSORTIUM_CHAIN_ID,
      registerTx(account('patient', rng(32)), patientFields(rng), managers)
    );
    expect(r.accepted).toBe(false);
    expect(!r.accepted && r.code).toBe('node/mempool-full');
  });

  it('below its disk reserve its mirror refuses a new blob with node/disk-full, and the node runs on', async () => {
    const refused = await storeOnMirror(await client(), node.addr, rng(600)).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(isCoreError(refused, 'node/disk-full'), String(refused)).toBe(true);
    expect(proc.exitCode).toBeNull();
    expect(((await health(node.httpUrl)) as { ok: boolean }).ok).toBe(true);
  });
});
