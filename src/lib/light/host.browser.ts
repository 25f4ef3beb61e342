/**
 * The light client's libp2p node in the browser: dials hospital nodes over WebSockets or
 * WebRTC-Direct (no listening, no relay), with noise, yamux and identify. Node addresses come from a
 * node's HTTP `GET /addrs` (addresses.ts); WebRTC-Direct addresses carry the node's certificate hash,
 * so no certificate authority is involved.
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { webRTCDirect } from '@libp2p/webrtc';
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

/** What a browser can dial, preferred first: WebSockets is cheaper to set up on loopback and LANs. */
export const BROWSER_TRANSPORTS: readonly Transport[] = ['ws', 'webrtc-direct'];

export async function createLightHost(opts: LightHostOptions): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [] },
    transports: [webSockets(), webRTCDirect()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxInboundStreams: LIGHT_MAX_STREAMS, maxOutboundStreams: LIGHT_MAX_STREAMS })],
    services: { identify: identify() },
    connectionManager: { maxConnections: LIGHT_MAX_CONNECTIONS },
    connectionGater: lightGater(opts)
  });
}
