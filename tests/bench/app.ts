/**
 * `npm run bench -- app`: what a patient's phone pays to open the app.
 *   first_load_js_kb_gz — gzip size (level 9) of every script the first page load fetches, from build/.
 *   offline_start_ms    — median time to first contentful paint when the installed app (service worker
 *                         active) is opened with the network off, in Chromium.
 * Builds the app first unless CARECHAIN_SKIP_BUILD=1.
 */
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { BUILD_DIR, ensureBuilt, serveBuild } from '../e2e/app-support.js';
import { percentile } from './report.js';

const OFFLINE_RUNS = 7;

export async function benchApp(): Promise<Record<string, number>> {
  ensureBuilt();
  const server = await serveBuild();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS
  });
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const scripts = new Set<string>();
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.add(new URL(r.url()).pathname);
    });
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    await page.getByRole('heading', { level: 1 }).waitFor();
    let gz = 0;
    let raw = 0;
    for (const path of scripts) {
      const bytes = readFileSync(join(BUILD_DIR, path));
      raw += bytes.length;
      gz += gzipSync(bytes, { level: 9 }).length;
    }

    // Install: wait for the worker, then open the app again under its control, then go offline.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.reload({ waitUntil: 'networkidle' });
    await context.setOffline(true);
    const samples: number[] = [];
    for (let i = 0; i < OFFLINE_RUNS; i++) {
      const p = await context.newPage();
      await p.goto(`${server.url}/`);
      const fcp = await p.evaluate(
        () =>
          new Promise<number>((ok) => {
            const found = performance.getEntriesByName('first-contentful-paint')[0];
            if (found) return ok(found.startTime);
            new PerformanceObserver((list) => {
              const e = list.getEntriesByName('first-contentful-paint')[0];
              if (e) ok(e.startTime);
            }).observe({ type: 'paint', buffered: true });
          })
      );
      const controlled = await p.evaluate(() => !!navigator.serviceWorker.controller);
      if (!controlled) throw new Error('offline start was not served by the service worker');
      samples.push(fcp);
      await p.close();
    }
    return {
      first_load_js_files: scripts.size,
      first_load_js_kb_raw: Math.round(raw / 102.4) / 10,
      first_load_js_kb_gz: Math.round(gz / 102.4) / 10,
      offline_start_ms_p90: Math.round(percentile(samples, 90)),
      offline_start_ms: Math.round(percentile(samples, 50))
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
