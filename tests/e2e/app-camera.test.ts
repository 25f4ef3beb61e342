import { chromium, expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import {
  PHONE,
  SCREENSHOTS,
  directoryEntry,
  ensureBuilt,
  nav,
  qrToY4m,
  serveBuild,
  testAccount,
  type StaticServer,
  type TestAccount
} from './app-support.js';
import type { DirectoryEntry } from '../../src/lib/client/directory.js';

let server: StaticServer;
test.beforeAll(async () => {
  ensureBuilt();
  server = await serveBuild();
});
test.afterAll(async () => server?.close());

const PASS = 'patient passphrase 123';

async function createPatient(page: Page) {
  await page.goto(`${server.url}/#/onboarding`);
  await page.getByLabel('Account type').selectOption('patient');
  await page.getByLabel(/^Passphrase \(at least/).fill(PASS);
  await page.getByLabel('Repeat the passphrase').fill(PASS);
  await page.getByTestId('create-keys').click();
  await expect(page.getByTestId('onb-done')).toBeVisible({ timeout: 30_000 });
}

/** The directory cache is public registry data the network fills; with no network yet the test fills it. */
async function cacheDirectory(page: Page, entries: DirectoryEntry[]) {
  await page.evaluate(
    (list) =>
      new Promise<void>((ok, fail) => {
        const req = indexedDB.open('carechain');
        req.onsuccess = () => {
          const tx = req.result.transaction('directory', 'readwrite');
          for (const e of list) tx.objectStore('directory').put(e);
          tx.oncomplete = () => ok();
          tx.onerror = () => fail(tx.error);
        };
      }),
    entries
  );
}

/** A new patient on a phone finds `doctor` in the (cached) directory by `search` and chooses them. */
async function patientChooses(page: Page, doctor: TestAccount, name: string, search: string) {
  await page.setViewportSize(PHONE);
  await createPatient(page);
  await cacheDirectory(page, [directoryEntry(doctor, name)]);
  await nav(page, 'Patient');
  await page.getByRole('tab', { name: 'Doctors' }).click();
  await page.getByLabel('Search doctors').fill(search);
  await page.getByRole('button', { name: 'Choose this doctor' }).click();
}

test("a grant QR shown by the patient's app is read by the doctor's camera", async ({ page }) => {
  const doctor = await testAccount('doctor', 'Dr. Ayesha Rahman', 11);

  // Patient: keys on the device, pick the doctor from the (cached) directory, grant two categories.
  await patientChooses(page, doctor, 'Dr. Ayesha Rahman', 'endocrin dhaka');
  await page.getByLabel(/Endocrine/).check();
  await page.getByLabel(/Mental/).check();
  await page.getByTestId('grant-create').click();
  const link = await page.getByLabel('Or share this link').inputValue();
  expect(link).toMatch(new RegExp(`^${server.url}/#/scan/[A-Za-z0-9_-]+$`));
  expect(link.length).toBeLessThanOrEqual(1100);
  await expect(page.getByTestId('qr-image')).toHaveAttribute('data-qr-text', link);
  await page.screenshot({ path: `${SCREENSHOTS}/patient-grant-qr.png`, fullPage: true });

  // The QR code becomes the fake camera's video.
  const dir = mkdtempSync(join(tmpdir(), 'carechain-cam-'));
  const video = join(dir, 'grant.y4m');
  qrToY4m(link, video);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`
    ]
  });
  try {
    const context = await browser.newContext({ viewport: PHONE });
    const doc = await context.newPage();
    // Doctor: import the account from its encrypted backup, then scan.
    await doc.goto(`${server.url}/#/onboarding`);
    await doc.getByLabel('Backup file').setInputFiles({
      name: 'backup.json',
      mimeType: 'application/json',
      buffer: Buffer.from(doctor.backup)
    });
    await doc.locator('#imp-pass').fill(doctor.passphrase);
    await doc.getByRole('button', { name: 'Import account' }).click();
    await expect(doc.getByTestId('onb-done')).toHaveText('Account imported.', { timeout: 30_000 });
    await nav(doc, 'Doctor');
    await doc.getByTestId('scan-start').click();
    const result = doc.getByTestId('scan-grant');
    await expect(result).toBeVisible({ timeout: 30_000 });
    await expect(result).toContainText('Endocrine');
    await expect(result).toContainText('Mental');
    await expect(result).toContainText('read');
    await expect(doc.getByTestId('scan-text')).toHaveText(link);
    await doc.screenshot({ path: `${SCREENSHOTS}/doctor-scan.png`, fullPage: true });
    // The patient now appears among the doctor's patients, kept in the encrypted cache.
    await doc.getByRole('tab', { name: 'My patients' }).click();
    await expect(doc.locator('.list li')).toHaveCount(1);

    // The same link opened as a link (a phone camera app follows it) lands on the doctor's screen,
    // which asks for the passphrase (a new page holds no unlocked keys) and then shows the grant.
    const viaLink = await context.newPage();
    await viaLink.goto(link);
    await expect(viaLink.getByRole('heading', { name: 'Unlock' })).toBeVisible({ timeout: 30_000 });
    await viaLink.getByLabel('Passphrase').fill(doctor.passphrase);
    await viaLink.getByTestId('unlock').click();
    await expect(viaLink.getByTestId('scan-grant')).toContainText('Endocrine', { timeout: 30_000 });
  } finally {
    await browser.close();
  }
});

test('a code one doctor could not hold is refused on the device, by name, before it is shown', async ({
  page
}) => {
  const doctor = await testAccount('doctor', 'Dr. Karim Hossain', 12);
  await patientChooses(page, doctor, 'Dr. Karim Hossain', 'Karim');
  await page.getByLabel(/Endocrine/).check();
  // The chain lets one patient hold 16 live grants to one doctor (CHAIN_LIMITS.maxGrantsPerDoctor).
  const qr = page.getByTestId('qr-image');
  let last = '';
  for (let i = 0; i < 16; i++) {
    await page.getByTestId('grant-create').click();
    await expect(qr).not.toHaveAttribute('data-qr-text', last);
    last = (await qr.getAttribute('data-qr-text'))!;
  }
  await page.getByTestId('grant-create').click();
  const alert = page.getByRole('alert');
  await expect(alert).toHaveAttribute('data-code', 'consent/too-many-grants-to-doctor');
  await expect(alert).toContainText('Revoke the ones you no longer need');
  // Revoking one makes room again.
  await page.getByRole('tab', { name: 'Who has access' }).click();
  await page.getByRole('button', { name: 'Revoke access' }).first().click();
  await page.getByRole('tab', { name: 'Give access' }).click();
  await page.getByTestId('grant-create').click();
  await expect(qr).not.toHaveAttribute('data-qr-text', last);
});
