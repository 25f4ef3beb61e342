import { expect, test } from '@playwright/test';
import { bundleForBrowser } from './bundle.js';
import { VECTOR_FILES } from '../vectors/all.js';
import { runVectorFiles, type CaseResult } from '../vectors/runner.js';

test('the test vectors give the same results in Chromium as in Node', async ({ page }) => {
  const code = await bundleForBrowser('tests/e2e/vectors.entry.ts');
  await page.goto('about:blank');
  await page.addScriptTag({ content: code });
  const inBrowser = await page.evaluate(() =>
    (globalThis as never as { cc: { run(): CaseResult[] } }).cc.run()
  );
  const inNode = runVectorFiles(VECTOR_FILES);
  expect(inBrowser.length).toBeGreaterThanOrEqual(30);
  expect(inBrowser.filter((r) => !r.pass)).toEqual([]);
  expect(inBrowser).toEqual(inNode);
});
