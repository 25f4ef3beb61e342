/**
 * The hospital node's libp2p host: TCP between nodes, WebSockets and WebRTC-Direct listeners for
 * browsers, noise + yamux + identify, connection limits (total, per peer, per IP), a connection
 * gater that refuses private and loopback addresses unless the deployment allows them (devnet,
 * tests, a hospital LAN), and the shared per-peer rate and stream guard the protocol handlers use.
 * Identity and WebRTC certificate come from the data directory, so addresses survive restarts.
 */
import '../polyfills.js';
import { BlockList, isIP } from 'node:net';
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { webRTCDirect } from '@libp2p/webrtc';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Libp2p, PeerId } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import {
  createGuard,
  DEFAULT_RATE_LIMITS,
  DEFAULT_STREAM_LIMITS,
  type NetGuard,
  type RateLimitConfig,
  type StreamLimitConfig
} from '../../lib/net/rate-limit.js';
import { loadOrCreatePeerKey, loadOrCreateWebRTCCertificate } from './identity.js';
import { AcceptFilter, filtered } from './accept-filter.js';
import { DEFAULT_PENALTY, PenaltyBox, type PenaltyConfig } from './penalty-box.js';

export interface HostLimits {
  /** Open connections in total: validators, mirrors and a few hundred phones per node. */
  readonly maxConnections: number;
  /** Connections one peer id may hold: one, plus one while a redial races the old connection. */
  readonly maxConnectionsPerPeer: number;
  /** Connections from one IP: a clinic behind NAT has many devices, a flood from one host is cut. */
  readonly maxConnectionsPerIp: number;
  /** Handshakes in progress at once: bounds CPU spent on noise for strangers. */
  readonly maxIncomingPendingConnections: number;
  /** New connections per second from one host before further ones are refused. */
  readonly inboundConnectionThreshold: number;
  /** Streams a connection may have open at once (yamux), over all protocols. */
  readonly maxStreamsPerConnection: number;
  readonly rate: RateLimitConfig;
  readonly streams: StreamLimitConfig;
}

export const DEFAULT_HOST_LIMITS: HostLimits = {
  maxConnections: 512,
  maxConnectionsPerPeer: 2,
  maxConnectionsPerIp: 64,
  maxIncomingPendingConnections: 32,
  inboundConnectionThreshold: 10,
  maxStreamsPerConnection: 128,
  rate: DEFAULT_RATE_LIMITS,
  streams: DEFAULT_STREAM_LIMITS
};

export interface ListenConfig {
  /** Interface to bind; '0.0.0.0' by default, '127.0.0.1' for devnet and tests. */
  readonly host?: string;
  /** Ports; omit a transport to not listen on it, 0 for any free port. */
  readonly tcp?: number;
  readonly ws?: number;
  readonly webrtcDirect?: number;
}

export interface NodeHostOptions {
  /** Where the libp2p key and the WebRTC certificate live. */
  readonly dataDir: string;
  readonly listen: ListenConfig;
  /** Multiaddrs (with /p2p/) to dial at start; failures are retried by the caller, not fatal here. */
  readonly peers?: readonly string[];
  readonly limits?: Partial<HostLimits>;
  /** Allow private and loopback addresses (devnet, tests, LAN-only deployments). */
  readonly allowPrivateAddresses: boolean;
  /** When an IP is banned for flooding (penalty-box.ts); for the log. */
  readonly onBan?: (ip: string, peer: string) => void;
  readonly penalty?: PenaltyConfig;
}

export interface NodeHost {
  readonly libp2p: Libp2p;
  readonly peerId: PeerId;
  /** Shared rate and stream limits: pass as `{ guard }` to every protocol handler. */
  readonly guard: NetGuard;
  readonly limits: HostLimits;
  /**
   * Count an offence (malformed or abusive traffic) against the IP `peer` connects from; past the
   * threshold the IP is banned and its connections are closed (penalty-box.ts).
   */
  penalize(peer: string): void;
  /** Current listen multiaddrs with /p2p/ (and /certhash for WebRTC-Direct), for the HTTP endpoint. */
  multiaddrs(): string[];
  stop(): Promise<void>;
}

const PRIVATE_RANGES = (() => {
  const b = new BlockList();
  b.addSubnet('0.0.0.0', 8, 'ipv4');
  b.addSubnet('10.0.0.0', 8, 'ipv4');
  b.addSubnet('100.64.0.0', 10, 'ipv4');
  b.addSubnet('127.0.0.0', 8, 'ipv4');
  b.addSubnet('169.254.0.0', 16, 'ipv4');
  b.addSubnet('172.16.0.0', 12, 'ipv4');
  b.addSubnet('192.168.0.0', 16, 'ipv4');
  b.addAddress('::', 'ipv6');
  b.addAddress('::1', 'ipv6');
  b.addSubnet('fc00::', 7, 'ipv6');
  b.addSubnet('fe80::', 10, 'ipv6');
  return b;
})();

function ipOf(ma: Multiaddr): string | null {
  const first = ma.getComponents()[0];
  if (!first || (first.name !== 'ip4' && first.name !== 'ip6') || !first.value) return null;
  return first.value;
}

/** True for loopback, RFC 1918, CGNAT, link-local and unique-local addresses. */
export function isPrivateAddress(ma: Multiaddr): boolean {
  const ip = ipOf(ma);
  if (!ip) return false;
  const family = isIP(ip);
  if (family === 4) return PRIVATE_RANGES.check(ip, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    return mapped ? PRIVATE_RANGES.check(mapped[1]!, 'ipv4') : PRIVATE_RANGES.check(ip, 'ipv6');
  }
  return false;
}

function listenAddrs(listen: ListenConfig): string[] {
  const host = listen.host ?? '0.0.0.0';
  const fam = isIP(host) === 6 ? 'ip6' : 'ip4';
  const out: string[] = [];
  if (listen.tcp !== undefined) out.push(`/${fam}/${host}/tcp/${listen.tcp}`);
  if (listen.ws !== undefined) out.push(`/${fam}/${host}/tcp/${listen.ws}/ws`);
  if (listen.webrtcDirect !== undefined) out.push(`/${fam}/${host}/udp/${listen.webrtcDirect}/webrtc-direct`);
  return out;
}

export async function createNodeHost(opts: NodeHostOptions): Promise<NodeHost> {
  const limits: HostLimits = { ...DEFAULT_HOST_LIMITS, ...opts.limits };
  const privateKey = await loadOrCreatePeerKey(opts.dataDir);
  const certificate =
    opts.listen.webrtcDirect !== undefined ? await loadOrCreateWebRTCCertificate(opts.dataDir) : undefined;
  const allowPrivate = opts.allowPrivateAddresses;
  // The gater runs from the moment listening starts, possibly before createLibp2p has returned.
  const ref: { node?: Libp2p } = {};

  // The configured peers' addresses are never banned, whatever shares them.
  const protectedIps = new Set(
    (opts.peers ?? []).map((p) => ipOf(multiaddr(p))).filter((ip): ip is string => ip !== null)
  );
  const penalty = opts.penalty ?? DEFAULT_PENALTY;
  const penalties = new PenaltyBox(protectedIps, penalty);
  // libp2p's own per-host threshold stays as a backstop; this one refuses first, cheaply, and counts.
  const acceptRate = {
    burst: limits.inboundConnectionThreshold,
    perSecond: limits.inboundConnectionThreshold,
    maxTracked: penalty.maxTracked
  };
  const acceptFilter = new AcceptFilter(penalties, acceptRate, Date.now, (ip) =>
    opts.onBan?.(ip, '(connection rate)')
  );

  // Browsers' WebSockets: held to the same rate, never banned for it (see AcceptFilter).
  const browserAcceptFilter = new AcceptFilter(penalties, acceptRate, Date.now, () => {}, false);

  const connectionsFromIp = (ip: string): number =>
    (ref.node?.getConnections() ?? []).filter((c) => ipOf(c.remoteAddr) === ip).length;

  const node = await createLibp2p({
    privateKey,
    addresses: { listen: listenAddrs(opts.listen) },
    transports: [
      filtered(tcp({ maxConnections: limits.maxConnections }), acceptFilter),
      filtered(webSockets(), browserAcceptFilter),
      webRTCDirect(certificate ? { certificate } : {})
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [
      yamux({
        maxInboundStreams: limits.maxStreamsPerConnection,
        maxOutboundStreams: limits.maxStreamsPerConnection
      })
    ],
    services: { identify: identify() },
    connectionManager: {
      maxConnections: limits.maxConnections,
      maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
      inboundConnectionThreshold: limits.inboundConnectionThreshold
    },
    connectionGater: {
      denyDialMultiaddr: (ma) => !allowPrivate && isPrivateAddress(ma),
      denyInboundConnection: (maConn) => {
        if (!allowPrivate && isPrivateAddress(maConn.remoteAddr)) return true;
        const ip = ipOf(maConn.remoteAddr);
        if (ip !== null && penalties.isBanned(ip)) return true;
        return ip !== null && connectionsFromIp(ip) >= limits.maxConnectionsPerIp;
      },
      denyInboundEncryptedConnection: (peerId) =>
        (ref.node?.getConnections(peerId).length ?? 0) >= limits.maxConnectionsPerPeer
    }
  });

  ref.node = node;

  for (const peer of opts.peers ?? []) {
    node.dial(multiaddr(peer)).catch(() => {
      // Peers come and go; the consensus driver redials. A failed first dial is not fatal.
    });
  }

  return {
    libp2p: node,
    peerId: node.peerId,
    guard: createGuard(limits.rate, limits.streams),
    limits,
    penalize(peer) {
      const conns = node.getConnections().filter((c) => c.remotePeer.toString() === peer);
      for (const ip of new Set(conns.map((c) => ipOf(c.remoteAddr)))) {
        if (ip === null || !penalties.offence(ip)) continue;
        opts.onBan?.(ip, peer);
        for (const c of node.getConnections())
          if (ipOf(c.remoteAddr) === ip) c.abort(new Error('banned for flooding'));
      }
    },
    multiaddrs: () => node.getMultiaddrs().map((m) => m.toString()),
    stop: async () => {
      await node.stop();
    }
  };
}
