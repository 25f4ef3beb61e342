/**
 * Joins the network at app start, off the first screen's path: the light client (libp2p, proofs) is
 * loaded only once a network is configured, and a failure leaves the app working offline, as if no
 * network were there — the screens say "not connected" — and tries again when the device is online.
 */
import { appDb } from './db.js';
import { connectNetwork, currentNetwork } from './network.js';
import { loadNetworkConfig } from './network-config.js';

let starting: Promise<void> | undefined;

export function startNetwork(base: string): Promise<void> {
  if (currentNetwork()) return Promise.resolve();
  starting ??= (async () => {
    try {
      const config = await loadNetworkConfig(base, location.origin);
      if (!config) return;
      const { createLightNetwork } = await import('./light-network.js');
      connectNetwork(await createLightNetwork({ ...config, db: await appDb() }));
    } catch (e) {
      console.warn('carechain: not connected', e);
      window.addEventListener('online', () => void startNetwork(base), { once: true });
    } finally {
      starting = undefined;
    }
  })();
  return starting;
}
