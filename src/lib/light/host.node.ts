/**
 * The same light client in Node (tests, benchmarks, command-line tools): dials hospital nodes over
 * TCP, or WebSockets where the runtime has a WebSocket client (Node 22+).
 */
import '../net/polyfill.node.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Transport } from './addresses.js';
import {
  LIGHT_MAX_CONNECTIONS,
  LIGHT_MAX_STREAMS,
  lightGater,
  type LightHostOptions
} from './host-options.js';

/** Node 20 has no global WebSocket for the dialer; Node 22 does. TCP always works. */
const hasWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';

export const NODE_TRANSPORTS: readonly Transport[] = hasWebSocket ? ['tcp', 'ws'] : ['tcp'];

export async function createLightHost(opts: LightHostOptions): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [] },
    transports: hasWebSocket ? [tcp(), webSockets()] : [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxInboundStreams: LIGHT_MAX_STREAMS, maxOutboundStreams: LIGHT_MAX_STREAMS })],
    services: { identify: identify() },
    connectionManager: { maxConnections: LIGHT_MAX_CONNECTIONS },
    connectionGater: lightGater(opts)
  });
}
