/**
 * The per-connection stream limit of a protocol, over real libp2p on loopback: streams beyond it are
 * answered with a named refusal and counted as the peer's offence (libp2p's own limit, set higher as a
 * backstop, would refuse them silently); the streams within it are still served.
 */
import '../../src/node/polyfills.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createNodeHost, type NodeHost } from '../../src/node/p2p/host.js';
import { isCoreError, type CoreError } from '../../src/lib/core/errors.js';
import { TAGS } from '../../src/lib/core/constants.js';
import { HEADER_LIMITS, handleHeader, requestHeader } from '../../src/lib/net/header.js';

const LIMIT = 2;
const CHAIN = 'consortium';
let dir: string;
let server: NodeHost;
let client: NodeHost;
let target: Multiaddr;
const errors: { code: string; peer: string }[] = [];
let open: () => void = () => {};
const gate = new Promise<void>((r) => (open = r));
let inside = 0;
let bothInside: () => void = () => {};
const twoInside = new Promise<void>((r) => (bothInside = r));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-p2p-streams-'));
  server = await createNodeHost({
    dataDir: join(dir, 'server'),
    listen: { host: '127.0.0.1', tcp: 0 },
    allowPrivateAddresses: true
  });
  client = await createNodeHost({ dataDir: join(dir, 'client'), listen: {}, allowPrivateAddresses: true });
  await handleHeader(
    server.libp2p,
    {
      // Held open until the test says so: every admitted stream stays live meanwhile.
      latest: async () => {
        if (++inside === LIMIT) bothInside();
        await gate;
        return { height: 1, header: new Uint8Array(8), commit: new Uint8Array(8), validatorChanges: [] };
      }
    },
    { ...HEADER_LIMITS, maxInboundStreams: LIMIT },
    { onError: (err: CoreError, info) => errors.push({ code: err.code, peer: info.peer }) }
  );
  target = multiaddr(server.multiaddrs().find((a) => a.includes('/tcp/'))!);
});

afterAll(async () => {
  open();
  await client?.stop();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('per-connection stream limit', () => {
  it('refuses the streams over it by name and reports each as an offence; the others are served', async () => {
    await client.libp2p.dial(target);
    const ask = () =>
      requestHeader(client.libp2p, target, {
        t: TAGS.netHeaderRequest,
        v: 1,
        chainId: CHAIN,
        trustedHeight: 0
      });
    const within = [ask(), ask()];
    // The first two streams are open and inside the service before the others arrive.
    await twoInside;
    const over = await Promise.allSettled([ask(), ask()]);
    for (const r of over) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as unknown;
      expect(isCoreError(e, 'net/too-many-streams'), String(e)).toBe(true);
    }
    expect(errors.map((e) => e.code)).toEqual(['net/too-many-streams', 'net/too-many-streams']);
    expect(new Set(errors.map((e) => e.peer))).toEqual(new Set([client.peerId.toString()]));
    open();
    for (const r of await Promise.all(within)) expect(r.height).toBe(1);
    // Once they are done, the connection may open streams again.
    expect((await ask()).height).toBe(1);
    expect(errors).toHaveLength(2);
  });
});
