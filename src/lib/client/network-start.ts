/**
 * Joins the network at app start, off the first screen's path: the light client (libp2p, proofs) is
 * loaded only once a network is configured, and a failure leaves the app working offline, as if no
 * network were there — the screens say "not connected" — and tries again: when the device comes back
 * online, and meanwhile after a growing pause (nodes may still be starting, or briefly unreachable).
 */
import { appDb } from './db.js';
import { connectNetwork, currentNetwork } from './network.js';
import { loadNetworkConfig } from './network-config.js';

let starting: Promise<void> | undefined;
let failures = 0;
let retry: ReturnType<typeof setTimeout> | undefined;
let waitingForOnline = false;

/** Pauses between attempts: 2 s, 4 s, 8 s … at most a minute. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

export function startNetwork(base: string): Promise<void> {
  if (currentNetwork()) return Promise.resolve();
  starting ??= (async () => {
    try {
      const config = await loadNetworkConfig(base, location.origin);
      if (!config) return;
      const { createLightNetwork } = await import('./light-network.js');
      connectNetwork(await createLightNetwork({ ...config, db: await appDb() }));
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
