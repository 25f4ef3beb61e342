/**
 * Assembles a light client over libp2p: one `Libp2pLightPeer` per node (its addresses from the node's
 * `GET /addrs`), trusted starting heads derived from the pinned genesis, and the injected head store.
 * The libp2p host comes from host.browser.ts or host.node.ts, so this file runs on both.
 */
import type { Multiaddr } from '@multiformats/multiaddr';
import type { ConsortiumGenesis } from '../core/chain/genesis.js';
import type { Rng } from '../core/crypto/random.js';
import type { NetHost } from '../net/rpc.js';
import { LightClient, type HeadStore, type LightEvent } from './client.js';
import { hospitalHead, trustedHeads } from './genesis.js';
import { Libp2pLightPeer, type BlobSigner } from './peer.js';

export interface ConnectOptions {
  /** A libp2p node (its `dial` lets several nodes be dialled at once) or any NetHost. */
  host: NetHost & { dial?: (addrs: Multiaddr[]) => Promise<unknown> };
  /** Each node's addresses (one list per node, all with the same /p2p/ peer id). */
  nodes: Multiaddr[][];
  /** Accepted against the pinned hash (genesis.ts acceptGenesis / fetchGenesis). */
  genesis: ConsortiumGenesis;
  store: HeadStore;
  signer?: BlobSigner;
  now: () => number;
  rng: Rng;
  onEvent?: (e: LightEvent) => void;
}

export function connectLightClient(o: ConnectOptions): LightClient {
  const peers = o.nodes
    .filter((addrs) => addrs.length > 0)
    .map(
      (addrs) =>
        new Libp2pLightPeer({
          host: o.host,
          addrs,
          now: o.now,
          rng: o.rng,
          ...(o.host.dial ? { dial: (a: Multiaddr[]) => o.host.dial!(a) } : {}),
          ...(o.signer ? { signer: o.signer } : {})
        })
    );
  return new LightClient({
    genesis: trustedHeads(o.genesis),
    addedHospital: (entry) => hospitalHead(o.genesis, entry),
    peers,
    store: o.store,
    ...(o.onEvent ? { onEvent: o.onEvent } : {})
  });
}
