/**
 * What the light client's libp2p node is configured with on every platform: noise, yamux with few
 * streams (a light client asks, it does not serve), identify, and a connection gater that refuses
 * private and loopback addresses unless the app was built for a devnet.
 */
import type { ConnectionGater } from '@libp2p/interface';
import { isPrivateAddress } from './addresses.js';

export interface LightHostOptions {
  /** Dial loopback and LAN addresses: devnet and tests only. */
  allowPrivateAddresses: boolean;
}

/** Nodes a light client talks to at once: a few per hospital is plenty to cross-check answers. */
export const LIGHT_MAX_CONNECTIONS = 32;
/** Streams per connection: the protocols' own outbound limits (16 at most) over a handful of protocols. */
export const LIGHT_MAX_STREAMS = 64;

export function lightGater(opts: LightHostOptions): ConnectionGater {
  return {
    denyDialMultiaddr: (ma) => !opts.allowPrivateAddresses && isPrivateAddress(ma),
    // A light client accepts no inbound connections: it listens nowhere.
    denyInboundConnection: () => true
  };
}
