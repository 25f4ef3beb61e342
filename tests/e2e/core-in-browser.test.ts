import { expect, test } from '@playwright/test';
import { bundleForBrowser } from './bundle.js';
import { nodeEd25519 } from '../../src/lib/core/crypto/ed25519.node.js';
import { toHex } from '../../src/lib/core/crypto/hash.js';

test('the core signs in Chromium with the same bytes node:crypto produces', async ({ page }) => {
  const code = await bundleForBrowser('tests/e2e/core-in-browser.entry.ts');
  await page.goto('about:blank');
  await page.addScriptTag({ content: code });
  const seed = new Uint8Array(32).fill(42);
  const message = new TextEncoder().encode('carechain');
  const fromBrowser = await page.evaluate(
    ({ s, m }) => {
      const c = (globalThis as never as { cc: typeof import('./core-in-browser.entry.js') }).cc;
      const sig = c.crypto.sign(Uint8Array.from(s), Uint8Array.from(m));
      return c.crypto.toHex(sig);
    },
    { s: Array.from(seed), m: Array.from(message) }
  );
  expect(fromBrowser).toBe(toHex(nodeEd25519.sign(seed, message)));
});
