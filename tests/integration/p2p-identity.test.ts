/**
 * A node's peer id and its WebRTC-Direct certhash survive a restart (same data directory, fixed
 * ports): the multiaddrs a browser saved keep working. A corrupt key file is a named error.
 */
import '../../src/node/polyfills.js';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHost } from '../../src/node/p2p/host.js';
import { PEER_KEY_FILE } from '../../src/node/p2p/identity.js';
import { isCoreError } from '../../src/lib/core/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-p2p-id-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4').bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function runHostOnce(dataDir: string, listen: object): { peerId: string; addrs: string[] } {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'tests/integration/p2p-identity-run.node.ts', dataDir, JSON.stringify(listen)],
    { encoding: 'utf8', timeout: 60_000 }
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('p2p identity persistence', () => {
  it('keeps the peer id and the /certhash multiaddr across a restart', async () => {
    const listen = {
      host: '127.0.0.1',
      tcp: await freeTcpPort(),
      ws: await freeTcpPort(),
      webrtcDirect: await freeUdpPort()
    };
    const dataDir = join(dir, 'node');
    // Each lifetime in its own process, as a real restart is (an in-process restart on the same
    // UDP port trips over the WebRTC listener registry of the stopped host).
    const first = runHostOnce(dataDir, listen);
    const { peerId: id1, addrs: addrs1 } = first;
    const { peerId: id2, addrs: addrs2 } = runHostOnce(dataDir, listen);

    expect(id2).toBe(id1);
    const webrtc = addrs1.find((a) => a.includes('/webrtc-direct/certhash/'));
    expect(webrtc, addrs1.join(' ')).toBeDefined();
    expect(webrtc).toContain(`/p2p/${id1}`);
    expect(addrs2).toEqual(addrs1);
    expect(addrs1.some((a) => a.includes('/ws/'))).toBe(true);
  });

  it('a fresh data directory gets a different identity and certhash', async () => {
    const a = await createNodeHost({
      dataDir: join(dir, 'a'),
      listen: { host: '127.0.0.1', webrtcDirect: 0 },
      allowPrivateAddresses: true
    });
    const b = await createNodeHost({
      dataDir: join(dir, 'b'),
      listen: { host: '127.0.0.1', webrtcDirect: 0 },
      allowPrivateAddresses: true
    });
    const hash = (addrs: string[]): string => /\/certhash\/([^/]+)/.exec(addrs.join(' '))![1]!;
    expect(a.peerId.toString()).not.toBe(b.peerId.toString());
    expect(hash(a.multiaddrs())).not.toBe(hash(b.multiaddrs()));
    await a.stop();
    await b.stop();
  });

  it('refuses to start on a corrupt key file with node/bad-keyfile', async () => {
    const dataDir = join(dir, 'corrupt');
    await createNodeHost({ dataDir, listen: {}, allowPrivateAddresses: true }).then((h) => h.stop());
    await writeFile(join(dataDir, PEER_KEY_FILE), new Uint8Array([1, 2, 3]));
    const err = await createNodeHost({ dataDir, listen: {}, allowPrivateAddresses: true }).catch(
      (e: unknown) => e
    );
    expect(isCoreError(err, 'node/bad-keyfile')).toBe(true);
  });

  it('the gater refuses loopback peers unless private addresses are allowed', async () => {
    const server = await createNodeHost({
      dataDir: join(dir, 'gs'),
      listen: { host: '127.0.0.1', tcp: 0 },
      allowPrivateAddresses: true
    });
    const strict = await createNodeHost({
      dataDir: join(dir, 'gc'),
      listen: {},
      allowPrivateAddresses: false
    });
    const { multiaddr } = await import('@multiformats/multiaddr');
    const err = await strict.libp2p.dial(multiaddr(server.multiaddrs()[0]!)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await strict.stop();
    await server.stop();
  });
});
