import { expect, test } from '@playwright/test';
import { ensureBuilt, nav, serveBuild, type StaticServer } from './app-support.js';

let server: StaticServer;
test.beforeAll(async () => {
  ensureBuilt();
  server = await serveBuild();
});
test.afterAll(async () => server?.close());

const PASS = 'correct horse battery staple';

test('keys made on the device survive a reload sealed in IndexedDB and open only with the passphrase', async ({
  page
}) => {
  await page.goto(`${server.url}/#/onboarding`);
  await page.getByLabel('Account type').selectOption('patient');
  await page.getByLabel('Name for this device').fill('my phone');
  await page.getByLabel(/^Passphrase \(at least/).fill(PASS);
  await page.getByLabel('Repeat the passphrase').fill(PASS);
  await page.getByTestId('create-keys').click();
  await expect(page.getByTestId('onb-done')).toBeVisible({ timeout: 30_000 });
  const publicKey = await page.getByTestId('public-key').textContent();
  expect(publicKey).toMatch(/^[0-9a-f]{64}$/);
  // The signed registration request is shown as a QR code (and queued for the network).
  await expect(page.getByTestId('qr-image')).toHaveAttribute('data-qr-text', /^carechain:registration:/);
  await expect(page.getByTestId('outbox-badge')).toContainText('1');

  // What is at rest: the sealed box and public keys, never the seed in clear.
  const stored = await page.evaluate(
    () =>
      new Promise<Record<string, unknown>>((ok, fail) => {
        const req = indexedDB.open('carechain');
        req.onerror = () => fail(req.error);
        req.onsuccess = () => {
          const get = req.result.transaction('keys').objectStore('keys').get('account');
          get.onsuccess = () => ok(get.result);
        };
      })
  );
  expect(Object.keys(stored).sort()).toEqual(
    ['box', 'createdAt', 'encryptionPublic', 'label', 'pseudonym', 'role', 'signingPublic'].sort()
  );
  expect((stored.box as { N: number }).N).toBe(2 ** 17);

  await page.reload();
  await nav(page, 'Patient');
  await expect(page.getByRole('heading', { name: 'Unlock' })).toBeVisible();
  await page.getByLabel('Passphrase').fill('not the passphrase at all');
  await page.getByTestId('unlock').click();
  await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'client/wrong-passphrase', {
    timeout: 30_000
  });
  await page.getByLabel('Passphrase').fill(PASS);
  await page.getByTestId('unlock').click();
  await expect(page.getByRole('tab', { name: 'Records' })).toBeVisible({ timeout: 30_000 });
  await nav(page, 'Account');
  await expect(page.getByTestId('public-key')).toHaveText(publicKey!);

  // Logout forgets the unlocked keys: the patient screen asks for the passphrase again.
  await page.getByTestId('logout').click();
  await nav(page, 'Patient');
  await expect(page.getByRole('heading', { name: 'Unlock' })).toBeVisible();
});
