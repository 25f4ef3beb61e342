import { expect, test } from '@playwright/test';
import { signRegistration } from '../../src/lib/core/accounts/registration.js';
import { requestText } from '../../src/lib/core/accounts/request-text.js';
import { deriveAccountKeys, toHex } from '../../src/lib/core/crypto/index.js';
import {
  PHONE,
  SCREENSHOTS,
  ensureBuilt,
  nav,
  serveBuild,
  testAccount,
  type StaticServer
} from './app-support.js';

let server: StaticServer;
test.beforeAll(async () => {
  ensureBuilt();
  server = await serveBuild();
});
test.afterAll(async () => server?.close());

test("a manager opens a new patient's signed request and approves it; rank approvals are queued too", async ({
  browser
}) => {
  // Patient device: keys made here; the signed request is what its QR code carries.
  const patient = await (await browser.newContext({ viewport: PHONE })).newPage();
  await patient.goto(`${server.url}/#/onboarding`);
  await patient.getByLabel('Account type').selectOption('patient');
  await patient.getByLabel(/^Passphrase \(at least/).fill('patient passphrase 7');
  await patient.getByLabel('Repeat the passphrase').fill('patient passphrase 7');
  await patient.getByTestId('create-keys').click();
  const request = (await patient.getByTestId('qr-image').getAttribute('data-qr-text'))!;
  expect(request).toMatch(/^carechain:registration:/);

  // Manager device.
  const manager = await testAccount('manager', 'manager office', 41);
  const page = await (await browser.newContext({ viewport: PHONE })).newPage();
  await page.goto(`${server.url}/#/onboarding`);
  await page.getByLabel('Backup file').setInputFiles({
    name: 'backup.json',
    mimeType: 'application/json',
    buffer: Buffer.from(manager.backup)
  });
  await page.locator('#imp-pass').fill(manager.passphrase);
  await page.getByRole('button', { name: 'Import account' }).click();
  await expect(page.getByTestId('onb-done')).toBeVisible({ timeout: 30_000 });
  await nav(page, 'Manager');

  // A tampered request is refused by name and offers nothing to approve.
  await page.getByLabel('Or paste the link or code text').fill(request.slice(0, -4) + 'AAAA');
  await page.getByRole('button', { name: 'Read pasted code' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByTestId('opened-request')).toHaveCount(0);

  await page.getByLabel('Or paste the link or code text').fill(request);
  await page.getByRole('button', { name: 'Read pasted code' }).click();
  await expect(page.getByTestId('opened-request')).toContainText('patient');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page.getByTestId('outbox-badge')).toContainText('1 waiting');
  await page.screenshot({ path: `${SCREENSHOTS}/manager-approve.png`, fullPage: true });

  // A hospital node's request (`carechain request`): what it is, for which hospital, and its peer id,
  // whose 52 unbroken characters wrap instead of widening the phone's page.
  const node = deriveAccountKeys(new Uint8Array(32).fill(5));
  const nodeRequest = requestText({
    kind: 'registration',
    value: signRegistration(
      {
        role: 'node',
        hospitalId: 'H4',
        nodeRole: 'mirror',
        peerId: '12D3KooWJkJcMcq3De6sApn1qkgd6PGHZVQS6ZxMYRiiGWF85jDj',
        signingPublic: node.signingPublic,
        encryptionPublic: node.encryptionPublic,
        created: Date.now()
      },
      node.signingSeed
    )
  });
  await page.getByLabel('Or paste the link or code text').fill(nodeRequest);
  await page.getByRole('button', { name: 'Read pasted code' }).click();
  const opened = page.getByTestId('opened-request');
  await expect(opened).toContainText('hospital node');
  await expect(opened).toContainText('storage mirror (keeps records)');
  await expect(opened).toContainText('12D3KooWJkJcMcq3De6sApn1qkgd6PGHZVQS6ZxMYRiiGWF85jDj');
  const { scroll, view } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    view: window.innerWidth
  }));
  expect(scroll).toBeLessThanOrEqual(view);

  await page.getByRole('tab', { name: 'Doctor rank' }).click();
  const doctor = await testAccount('doctor', 'Dr. Rank', 42);
  await page.getByRole('textbox', { name: 'Doctor (Public key)' }).fill(toHex(doctor.account.signingPublic));
  await page.getByRole('combobox', { name: 'Rank' }).selectOption('consultant');
  await page.getByRole('button', { name: 'Approve this rank' }).click();
  await expect(page.getByTestId('outbox-badge')).toContainText('2 waiting');
});
