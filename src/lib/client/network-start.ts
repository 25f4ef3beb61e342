/**
 * Joins the network at app start, off the first screen's path: the light client (libp2p, proofs) is
 * loaded only once a network is configured. With no node reachable but a genesis accepted before, the
 * light client starts anyway and answers from what this device verified earlier; with nothing at all,
 * the app works offline as if no network were there — the screens say "not connected". Either way it
 * tries again: when the device comes back online, and meanwhile after a growing pause (nodes may
 * still be starting, or briefly unreachable).
 */
import { appDb } from './db.js';
import { connectNetwork, currentNetwork } from './network.js';
import { loadNetworkConfig } from './network-config.js';

/** The settings key of the network file last read (network-config.ts). */
const SAVED_NETWORK_FILE = 'network-file';

let starting: Promise<void> | undefined;
let failures = 0;
let retry: ReturnType<typeof setTimeout> | undefined;
let waitingForOnline = false;

/** Pauses between attempts: 2 s, 4 s, 8 s … at most a minute. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

export function startNetwork(base: string): Promise<void> {
  const offline = currentNetwork() as { nodes?: readonly unknown[]; close?: () => Promise<void> } | undefined;
  if (offline && offline.nodes?.length !== 0) return Promise.resolve();
  starting ??= (async () => {
    try {
      const db = await appDb();
      const config = await loadNetworkConfig(base, location.origin, {
        get: () => db.get('settings', SAVED_NETWORK_FILE),
        put: async (raw) => void (await db.put('settings', raw, SAVED_NETWORK_FILE))
      });
      if (!config) return;
      const { createLightNetwork } = await import('./light-network.js');
      const network = await createLightNetwork({ ...config, db });
      // Started from the device alone again: keep the one already running.
      if (offline && network.nodes.length === 0) {
        await network.close();
        throw new Error('no node reachable yet');
      }
      await offline?.close?.();
      connectNetwork(network);
      if (network.nodes.length === 0) throw new Error('no node reachable yet: answering from this device');
      failures = 0;
    } catch (e) {
      console.warn('carechain: not connected', e);
      const again = () => {
        clearTimeout(retry);
        void startNetwork(base);
      };
      if (!waitingForOnline) {
        waitingForOnline = true;
        window.addEventListener('online', () => ((waitingForOnline = false), again()), { once: true });
      }
      clearTimeout(retry);
      retry = setTimeout(again, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures++));
    } finally {
      starting = undefined;
    }
  })();
  return starting;
}
