// Background Sync for the outbox, imported into the Workbox service worker (vite.config.ts). Sending
// needs the page's light client (libp2p, keys unlocked in memory), so the worker does not send: when
// the browser says the network is back, it wakes the app's open pages, which flush their outbox.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'carechain-outbox') return;
  event.waitUntil(
    self.clients
      .matchAll({ type: 'window', includeUncontrolled: false })
      .then((pages) => pages.forEach((p) => p.postMessage({ type: 'carechain-flush' })))
  );
});
