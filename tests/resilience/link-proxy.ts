/**
 * Per-peer blocking for the partition scenario, without root or network namespaces: every node-to-node
 * link goes through a small TCP relay owned by the test (one listening port per ordered pair of nodes,
 * on 127.0.0.1). The nodes' configs are rewritten so each peer address names its relay (same /p2p/ id,
 * so noise still authenticates the real peer end to end); a partition closes the relays' sockets
 * between the two sides and refuses new ones until healed. Nodes dial peers only by the configured
 * multiaddr, and libp2p reuses an open connection for both directions, so nothing bypasses a relay.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { DevnetLayout, DevnetNode } from '../../src/node/devnet/layout.js';

interface Relay {
  from: DevnetNode;
  to: DevnetNode;
  server: Server;
  port: number;
  sockets: Set<Socket>;
}

export class LinkProxies {
  private readonly relays: Relay[] = [];
  private readonly blocked = new Set<string>();

  private key(a: DevnetNode, b: DevnetNode): string {
    return [a.addr, b.addr].sort().join('|');
  }

  /** Start a relay for every ordered pair that peers in the configs, and point the configs at them. */
  async install(layout: DevnetLayout): Promise<void> {
    const nodes = layout.hospitals.flatMap((h) => h.nodes);
    const byAddr = new Map(nodes.map((n) => [n.addr, n]));
    for (const from of nodes) {
      const config = JSON.parse(readFileSync(from.configFile, 'utf8')) as {
        peers: { hospital: string[]; consortium: string[] };
      };
      const swap = async (addr: string) => {
        const to = byAddr.get(addr);
        if (!to) return addr;
        const relay = await this.relay(from, to);
        return `/ip4/127.0.0.1/tcp/${relay.port}/p2p/${to.peerId}`;
      };
      config.peers.hospital = await Promise.all(config.peers.hospital.map(swap));
      config.peers.consortium = await Promise.all(config.peers.consortium.map(swap));
      writeFileSync(from.configFile, JSON.stringify(config, null, 2) + '\n');
    }
  }

  private async relay(from: DevnetNode, to: DevnetNode): Promise<Relay> {
    const have = this.relays.find((r) => r.from === from && r.to === to);
    if (have) return have;
    const sockets = new Set<Socket>();
    const server = createServer((inbound) => {
      if (this.blocked.has(this.key(from, to))) {
        inbound.destroy();
        return;
      }
      const outbound = connect({ host: '127.0.0.1', port: to.ports.tcp });
      sockets.add(inbound);
      sockets.add(outbound);
      const close = () => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
      };
      inbound.on('error', close).on('close', close);
      outbound.on('error', close).on('close', close);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    const relay = { from, to, server, port, sockets };
    this.relays.push(relay);
    return relay;
  }

  /** Cut every link between nodes of different groups (open sockets closed, new ones refused). */
  partition(groups: DevnetNode[][]): void {
    this.blocked.clear();
    for (let i = 0; i < groups.length; i++)
      for (let j = i + 1; j < groups.length; j++)
        for (const a of groups[i]!) for (const b of groups[j]!) this.blocked.add(this.key(a, b));
    for (const r of this.relays)
      if (this.blocked.has(this.key(r.from, r.to))) for (const s of r.sockets) s.destroy();
  }

  heal(): void {
    this.blocked.clear();
  }

  async close(): Promise<void> {
    for (const r of this.relays) {
      for (const s of r.sockets) s.destroy();
      await new Promise<void>((ok) => r.server.close(() => ok()));
    }
  }
}
