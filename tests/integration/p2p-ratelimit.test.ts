/**
 * Rate limits against a separate node process (20 requests/s, burst 20 per peer): a flood from one
 * peer is throttled with named `net/rate-limited` answers while another peer is still served.
 */
import '../../src/node/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createNodeHost, type NodeHost } from '../../src/node/p2p/host.js';
import { requestHeader } from '../../src/lib/net/header.js';
import { isCoreError } from '../../src/lib/core/errors.js';
import { CHAIN, TAGS, V } from './p2p-fixtures.js';
import { isAlive, startTarget, type Target } from './p2p-harness.js';

let dir: string;
let target: Target;
let addr: Multiaddr;
let flooder: NodeHost;
let honest: NodeHost;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-p2p-rate-'));
  target = await startTarget(join(dir, 'target'), 'strict');
  addr = multiaddr(target.addrs[0]!);
  flooder = await createNodeHost({ dataDir: join(dir, 'f'), listen: {}, allowPrivateAddresses: true });
  honest = await createNodeHost({ dataDir: join(dir, 'h'), listen: {}, allowPrivateAddresses: true });
}, 60_000);

afterAll(async () => {
  await flooder?.stop();
  await honest?.stop();
  if (target && isAlive(target.pid)) await target.stop();
  await rm(dir, { recursive: true, force: true });
});

const ask = (h: NodeHost): Promise<string> =>
  requestHeader(h.libp2p, addr, { t: TAGS.netHeaderRequest, v: V, chainId: CHAIN, trustedHeight: 0 }).then(
    () => 'ok',
    (e: unknown) => (isCoreError(e) ? e.code : String(e))
  );

describe('per-peer rate limits on a separate node process', () => {
  it('throttles a flood from one peer while another is still served', async () => {
    const flood: Record<string, number> = {};
    const served: Record<string, number> = {};
    let stop = false;
    const floodLoop = async (): Promise<void> => {
      while (!stop) {
        const r = await ask(flooder);
        flood[r] = (flood[r] ?? 0) + 1;
      }
    };
    const t0 = performance.now();
    const floods = [floodLoop(), floodLoop(), floodLoop()];
    // The honest peer asks 10 times over ~2 s: within its own 20/s budget.
    for (let i = 0; i < 10; i++) {
      const r = await ask(honest);
      served[r] = (served[r] ?? 0) + 1;
      await new Promise((res) => setTimeout(res, 200));
    }
    stop = true;
    await Promise.all(floods);
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `[p2p-rate] flooder outcomes ${JSON.stringify(flood)}; honest outcomes ${JSON.stringify(served)} over ${secs.toFixed(1)} s`
    );
    expect(flood['net/rate-limited'] ?? 0).toBeGreaterThan(0);
    // The flooder gets at most its burst plus the refill over the elapsed time.
    expect(flood.ok ?? 0).toBeLessThanOrEqual(Math.ceil(20 + secs * 20) + 1);
    expect(served).toEqual({ ok: 10 });
  }, 60_000);
});
