import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The static manifest is not picked up by the plugin's glob (it expects to generate one): add it with a
// content revision so an edited manifest reaches installed apps.
const manifestRevision = createHash('sha256')
  .update(readFileSync('static/manifest.webmanifest'))
  .digest('hex');

export default defineConfig({
  plugins: [
    sveltekit(),
    // Workbox service worker: precaches the app shell only (scripts, styles, the one HTML page, icons,
    // manifest) so the installed app opens offline. No runtime caching: nothing fetched at run time —
    // records, headers, directory — ever enters the Cache API. Registered by src/lib/client/pwa.ts
    // through workbox-window, with an update prompt (registerType 'prompt').
    SvelteKitPWA({
      strategies: 'generateSW',
      registerType: 'prompt',
      injectRegister: false,
      manifest: false,
      kit: { adapterFallback: 'index.html', spa: true },
      workbox: {
        globPatterns: ['client/**/*.{js,css,svg,png,webmanifest}'],
        additionalManifestEntries: [{ url: 'manifest.webmanifest', revision: manifestRevision }],
        cleanupOutdatedCaches: true,
        runtimeCaching: [],
        // Background Sync: wakes open pages to send their outbox when the network returns.
        importScripts: ['sw-outbox.js']
      }
    })
  ],
  test: {
    include: [
      'src/**/*.test.ts',
      'tests/integration/**/*.test.ts',
      'tests/vectors/**/*.test.ts',
      'tests/sim/**/*.test.ts'
    ],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests spawn node processes; keep the 2-core machine from thrashing.
    maxWorkers: 2
  }
});
