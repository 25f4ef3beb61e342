/**
 * The app against a REAL devnet (node processes serving the built app, real libp2p from Chromium):
 * a patient grants access by QR, a doctor scans it from a fake camera and writes a diagnosis that
 * becomes a hospital-chain record, and the patient sees it verified; a doctor at another hospital
 * with a one-category grant finds that category only; the patient revokes offline, comes back
 * online, and the doctor's next search is refused by name.
 */
import { chromium, expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { PHONE, SCREENSHOTS, nav, qrToY4m } from './app-support.js';
import {
  cacheDirectory,
  directoryOf,
  importUser,
  outbox,
  startAppDevnet,
  type AppDevnet,
  type AppUser
} from './app-network-devnet.js';

/** Waits generously: a devnet block on this 2-core machine takes about a second, a record two chains. */
const NET = { timeout: Number(process.env.NET_TIMEOUT ?? 90_000) };

let dir: string;
let net: AppDevnet;
let patient: AppUser;
let doctorA: AppUser;
let browser: Browser;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  dir = mkdtempSync(join(tmpdir(), 'app-network-'));
  net = await startAppDevnet(dir, 'app-network-visit');
  patient = await net.user('patient', 'Rahim Uddin');
  doctorA = await net.user('doctor', 'Dr. Ayesha Rahman', 'H1');
});

test.afterAll(async () => {
  await browser?.close();
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function doctorBrowser(video: string): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`
    ]
  });
}

async function waitSent(page: Page, kind: string) {
  await expect
    .poll(
      async () => (await outbox(page)).filter((e) => e.kind === kind).map((e) => e.lastError ?? e.status),
      NET
    )
    .toEqual(expect.arrayContaining(['sent']));
  expect((await outbox(page)).filter((e) => e.status === 'failed')).toEqual([]);
}

/** The patient grants `doctor` the given categories (by their English names), read and write; returns the link. */
async function grant(page: Page, doctor: AppUser, hospitalName: string, categories: RegExp[]) {
  await nav(page, 'Patient');
  await cacheDirectory(page, [
    directoryOf(doctor, doctor.actor.name.includes('Karim') ? 'H2' : 'H1', hospitalName)
  ]);
  await page.getByRole('tab', { name: 'Doctors' }).click();
  await page.getByLabel('Search doctors').fill(doctor.name);
  await page.getByRole('button', { name: 'Choose this doctor' }).first().click();
  for (const c of categories) await page.getByLabel(c).check();
  await page.getByLabel('Write new records').check();
  await page.getByTestId('grant-create').click();
  return page.getByLabel('Or share this link').inputValue();
}

async function scan(context: BrowserContext, doctor: AppUser): Promise<Page> {
  const doc = await context.newPage();
  await importUser(doc, net.appUrl, doctor);
  await nav(doc, 'Doctor');
  await doc.getByTestId('scan-start').click();
  await expect(doc.getByTestId('scan-grant')).toBeVisible({ timeout: 30_000 });
  return doc;
}

test('(a) a doctor writes a diagnosis under a QR grant and the patient sees it verified', async ({
  page
}) => {
  test.setTimeout(300_000);
  if (process.env.DEBUG_APP) page.on('console', (m) => console.log('[patient]', m.type(), m.text()));
  await page.setViewportSize(PHONE);
  await importUser(page, net.appUrl, patient);
  const link = await grant(page, doctorA, 'Dhaka Medical College Hospital', [/Endocrine/]);
  await waitSent(page, 'grant');

  const video = join(dir, 'grant-a.y4m');
  qrToY4m(link, video);
  browser = await doctorBrowser(video);
  const doc = await scan(await browser.newContext({ viewport: PHONE }), doctorA);
  await doc.getByRole('tab', { name: 'Write record' }).click();
  await doc.getByLabel('Category').selectOption('IV');
  await doc.locator('#w-code').fill('E11');
  await doc.getByLabel('Diagnosis (condition)').fill('Type 2 diabetes mellitus');
  await doc.getByRole('button', { name: 'Sign and save record' }).click();
  await waitSent(doc, 'record');

  // The patient's records come from the consortium index through both chains, verified in the browser.
  const open = page.getByRole('button', { name: 'Open record' });
  await expect(async () => {
    // Leaving the screen and coming back lists the records again.
    await nav(page, 'Home');
    await nav(page, 'Patient');
    await expect(open).toHaveCount(1, { timeout: 10_000 });
  }).toPass(NET);
  await open.click();
  const badge = page.getByTestId('verified-badge');
  await expect(badge).toHaveAttribute('data-state', 'verified', NET);
  await expect(page.locator('article')).toContainText('Type 2 diabetes mellitus');
  await page.screenshot({ path: `${SCREENSHOTS}/network-patient-verified.png`, fullPage: true });
});
