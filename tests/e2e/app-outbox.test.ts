import { expect, test, type Page } from '@playwright/test';
import { bundleForBrowser } from './bundle.js';
import { ensureBuilt, serveBuild, type StaticServer } from './app-support.js';

type Entry = typeof import('./app-outbox.entry.js');

let server: StaticServer;
let code: string;
test.beforeAll(async () => {
  ensureBuilt();
  server = await serveBuild();
  code = await bundleForBrowser('tests/e2e/app-outbox.entry.ts');
});
test.afterAll(async () => server?.close());

// A blank page on the app's origin (IndexedDB is per origin) with the outbox code loaded: the app's own
// pages carry a CSP that (rightly) refuses injected inline script.
async function load(page: Page) {
  await page.route(`${server.url}/outbox-test`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>outbox test</title>' })
  );
  await page.goto(`${server.url}/outbox-test`);
  await page.addScriptTag({ content: code });
}

test('the outbox keeps its queue across reloads and sends strictly in order', async ({ page }) => {
  await load(page);
  await page.evaluate(async () => {
    const cc = (globalThis as never as { cc: Entry }).cc;
    const box = new cc.Outbox(await cc.openCarechainDb('outbox-test'));
    for (const [i, kind] of (['grant', 'revocation', 'grant', 'record'] as const).entries())
      await box.enqueue({ kind, bytes: new Uint8Array([i]), summary: { n: i } }, 1000 + i);
  });

  await page.reload();
  await page.addScriptTag({ content: code });
  expect(await page.title()).toBe('outbox test');
  const result = await page.evaluate(async () => {
    const cc = (globalThis as never as { cc: Entry }).cc;
    const box = new cc.Outbox(await cc.openCarechainDb('outbox-test'));
    const seen: number[] = [];
    const before = (await box.list()).map((e) => [e.kind, e.bytes[0], e.status]);
    // Offline after the first send: a transport error stops the flush and keeps the rest in order.
    let online = 1;
    const first = await box.flush(
      async (a) => {
        if (online-- <= 0) throw new TypeError('Failed to fetch');
        seen.push(a.bytes[0]!);
      },
      () => 2000
    );
    // Back online: the network refuses entry 2 by name (a rejected protocol action); 3 still goes.
    const second = await box.flush(
      async (a) => {
        if (a.bytes[0] === 2) throw new cc.CoreError('consent/replayed', { seq: 2 });
        seen.push(a.bytes[0]!);
      },
      () => 3000
    );
    const after = (await box.list()).map((e) => [e.bytes[0], e.status, e.attempts, e.lastError ?? null]);
    return { before, first, second, seen, after, pending: await box.pendingCount() };
  });
  expect(result.before).toEqual([
    ['grant', 0, 'pending'],
    ['revocation', 1, 'pending'],
    ['grant', 2, 'pending'],
    ['record', 3, 'pending']
  ]);
  expect(result.first).toEqual({ sent: 1, failed: 0, pending: 3 });
  expect(result.second).toEqual({ sent: 2, failed: 1, pending: 0 });
  expect(result.seen).toEqual([0, 1, 3]);
  expect(result.after).toEqual([
    [0, 'sent', 1, null],
    [1, 'sent', 2, null],
    [2, 'failed', 1, 'consent/replayed'],
    [3, 'sent', 1, null]
  ]);
  expect(result.pending).toBe(0);
});

test('two flushes at once send each entry once', async ({ page }) => {
  await load(page);
  const sends = await page.evaluate(async () => {
    const cc = (globalThis as never as { cc: Entry }).cc;
    const box = new cc.Outbox(await cc.openCarechainDb('outbox-test-2'));
    for (let i = 0; i < 5; i++)
      await box.enqueue({ kind: 'grant', bytes: new Uint8Array([i]), summary: {} }, i);
    const seen: number[] = [];
    const send = async (a: { bytes: Uint8Array }) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(a.bytes[0]!);
    };
    await Promise.all([box.flush(send, () => 1), box.flush(send, () => 1)]);
    return seen;
  });
  expect(sends).toEqual([0, 1, 2, 3, 4]);
});
