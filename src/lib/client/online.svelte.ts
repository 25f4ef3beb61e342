/**
 * Online/offline signal. `navigator.onLine` only knows whether a network interface is up, so the
 * network layer may also report reachability (`reportReachable`) when it has actually talked to a node.
 */
class OnlineState {
  browserOnline = $state(true);
  reachable = $state<boolean | undefined>(undefined);
  #started = false;

  get online(): boolean {
    return this.browserOnline && this.reachable !== false;
  }

  start(): void {
    if (this.#started || typeof window === 'undefined') return;
    this.#started = true;
    this.browserOnline = navigator.onLine;
    window.addEventListener('online', () => (this.browserOnline = true));
    window.addEventListener('offline', () => (this.browserOnline = false));
  }

  reportReachable(ok: boolean): void {
    this.reachable = ok;
  }
}

export const onlineState = new OnlineState();
