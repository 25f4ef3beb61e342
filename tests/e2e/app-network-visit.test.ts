/**
 * The app against a REAL devnet (node processes serving the built app, real libp2p from Chromium):
 * a patient grants access by QR, a doctor scans it from a fake camera and writes a diagnosis that
 * becomes a hospital-chain record, and the patient sees it verified; a doctor at another hospital
 * with a one-category grant finds that category only; the patient revokes offline, comes back
 * online, and the doctor's next search is refused by name.
 */
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { deriveAccountKeys, sha256, toHex } from '../../src/lib/core/crypto/index.js';
import { stopProcess } from '../../src/node/devnet/process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { PHONE, SCREENSHOTS, nav, qrToY4m, serveBuild, type StaticServer } from './app-support.js';
import { importUser, outbox, startAppDevnet, type AppDevnet, type AppUser } from './app-network-devnet.js';

/** Waits generously: a devnet block on this 2-core machine takes about a second, a record two chains. */
const NET = { timeout: Number(process.env.NET_TIMEOUT ?? 90_000) };

let dir: string;
let net: AppDevnet;
let patient: AppUser;
let doctorA: AppUser;
let doctorB: AppUser;
let browser: Browser;
let browserB: Browser;
let patientBrowser: Browser;
let patientPage: Page;
let docA: Page;
let docB: Page;
let liar: ChildProcess | undefined;
let liarApp: StaticServer | undefined;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  dir = mkdtempSync(join(tmpdir(), 'app-network-'));
  net = await startAppDevnet(dir, 'app-network-visit');
  patient = await net.user('patient', 'Rahim Uddin');
  doctorA = await net.user('doctor', 'Dr. Ayesha Rahman', 'H1');
  // An intern: below a validator's stake, so only the hospital's doctor roster lists them.
  doctorB = await net.user('doctor', 'Dr. Karim Hossain', 'H2', 'intern');
  // Launched here, not in a test: a browser launched inside a test is closed when that test ends, and the
  // patient's phone and the doctors' PCs live across the three tests. Chromium opens the fake camera's
  // file when the camera starts, so the QR videos are written later, before each scan.
  const launch = (extra: string[] = []) =>
    chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, ...extra]
    });
  const camera = (file: string) => [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${join(dir, file)}`
  ];
  [patientBrowser, browser, browserB] = await Promise.all([
    launch(),
    launch(camera('grant-a.y4m')),
    launch(camera('grant-b.y4m'))
  ]);
  // Contexts too: Playwright closes pages opened during a test when that test ends.
  const phone = async (b: Browser) => (await b.newContext({ viewport: PHONE })).newPage();
  [patientPage, docA, docB] = await Promise.all([phone(patientBrowser), phone(browser), phone(browserB)]);
  if (process.env.DEBUG_APP)
    for (const [who, p] of [
      ['patient', patientPage],
      ['docA', docA],
      ['docB', docB]
    ] as const)
      p.on('console', (m) => console.log(`[${who}]`, m.type(), m.text()));
});

test.afterAll(async () => {
  if (liar) await stopProcess(liar);
  await liarApp?.close();
  await browserB?.close();
  await patientBrowser?.close();
  await browser?.close();
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Figures measured on the way, printed (not asserted: a test is not a benchmark). */
function figure(name: string, since: number) {
  console.log(`[app-network] ${name}: ${Date.now() - since}`);
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
  await page.getByRole('tab', { name: 'Doctors' }).click();
  // The directory comes from the chain: every doctor on each hospital's roster, each profile
  // (name, speciality, degree) believed because it hashes to the registration the account holds.
  await expect(page.getByText(/doctors? available offline/)).toBeVisible(NET);
  const choose = page.getByRole('button', { name: 'Choose this doctor' });
  await expect(async () => {
    await nav(page, 'Home');
    await nav(page, 'Patient');
    await page.getByRole('tab', { name: 'Doctors' }).click();
    await page.getByLabel('Search doctors').fill(doctor.name);
    await expect(choose).toHaveCount(1, { timeout: 5_000 });
  }).toPass(NET);
  await expect(page.getByRole('listitem').filter({ has: choose })).toContainText(hospitalName);
  await expect(page.getByRole('listitem').filter({ has: choose })).toContainText('Endocrinology');
  await choose.click();
  for (const c of categories) await page.getByLabel(c).check();
  await page.getByLabel('Write new records').check();
  await page.getByTestId('grant-create').click();
  return page.getByLabel('Or share this link').inputValue();
}

async function scan(doc: Page, doctor: AppUser): Promise<Page> {
  await importUser(doc, net.appUrl, doctor);
  await nav(doc, 'Doctor');
  await doc.getByTestId('scan-start').click();
  await expect(doc.getByTestId('scan-grant')).toBeVisible({ timeout: 30_000 });
  return doc;
}

test('(a) a doctor writes a diagnosis under a QR grant and the patient sees it verified', async () => {
  test.setTimeout(300_000);
  const page = patientPage;
  await importUser(page, net.appUrl, patient);
  const link = await grant(page, doctorA, 'Dhaka Medical College Hospital', [
    /Endocrine/,
    /Heart and circulation/
  ]);
  let t0 = Date.now();
  await waitSent(page, 'grant');
  figure('grant_committed_ms', t0);

  const video = join(dir, 'grant-a.y4m');
  qrToY4m(link, video);
  const doc = await scan(docA, doctorA);
  await doc.getByRole('tab', { name: 'Write record' }).click();
  // The diagnosis code picks the category; a code of a chapter the patient did not share says so.
  await doc.locator('#w-code').fill('J45');
  await expect(doc.locator('#w-code-hint')).toHaveText(/Respiratory.*has not shared/);
  await doc.locator('#w-code').fill('E11');
  await expect(doc.getByLabel('Category')).toHaveValue('IV');
  await expect(doc.locator('#w-code-hint')).toHaveText(/Filed under Endocrine/);
  await doc.getByLabel('Diagnosis (condition)').fill('Type 2 diabetes mellitus');
  await doc.getByRole('button', { name: 'Sign and save record' }).click();
  t0 = Date.now();
  await waitSent(doc, 'record');
  figure('record_written_ms (2 mirrors, attestations, hospital block)', t0);
  t0 = Date.now();

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
  figure('record_indexed_listed_verified_ms (consortium index + both chains, in Chromium)', t0);
  await expect(page.locator('article')).toContainText('Type 2 diabetes mellitus');
  await page.screenshot({ path: `${SCREENSHOTS}/network-patient-verified.png`, fullPage: true });
});

async function write(doc: Page, category: string, code: string, condition: string) {
  await doc.getByRole('tab', { name: 'Write record' }).click();
  await doc.getByLabel('Category').selectOption(category);
  await doc.locator('#w-code').fill(code);
  await doc.getByLabel('Diagnosis (condition)').fill(condition);
  await doc.getByRole('button', { name: 'Sign and save record' }).click();
  await expect
    .poll(
      async () => (await outbox(doc)).filter((e) => e.kind === 'record' && e.status === 'sent').length,
      NET
    )
    .toBeGreaterThanOrEqual(2);
}

test('(b) a doctor at another hospital with a one-category grant finds that category only', async () => {
  test.setTimeout(300_000);
  // A second record, in a category doctor B will not be granted.
  await write(docA, 'IX', 'I10', 'Essential hypertension');

  const page = patientPage;
  const link = await grant(page, doctorB, 'Chittagong General Hospital', [/Endocrine/]);
  await expect.poll(async () => (await outbox(page)).filter((e) => e.status === 'sent').length, NET).toBe(2);

  const video = join(dir, 'grant-b.y4m');
  qrToY4m(link, video);
  await scan(docB, doctorB);
  await docB.getByRole('tab', { name: 'Patient history' }).click();
  // Only the granted category can even be asked for.
  await expect(docB.locator('#doc-cat option')).toHaveText(['All', /Endocrine/]);
  // The doctor finds the category by the condition's everyday name; one not shared says so.
  await docB.getByLabel('Look up by condition').fill('asthma');
  await expect(docB.locator('#doc-find-result')).toHaveText(/Respiratory.*has not given you access/);
  await expect(docB.locator('#doc-cat')).toHaveValue('');
  await docB.getByLabel('Look up by condition').fill('diabetes');
  await expect(docB.locator('#doc-find-result')).toHaveText(/Matches: .*Endocrine/);
  await expect(docB.locator('#doc-cat')).toHaveValue('IV');
  await docB.getByRole('button', { name: 'Find records' }).click();
  const cards = docB.locator('article');
  await expect(cards).toHaveCount(1, NET);
  await expect(cards).toContainText('Type 2 diabetes mellitus');
  await expect(cards).toContainText('Dhaka Medical College Hospital');
  await expect(docB.getByTestId('verified-badge')).toHaveAttribute('data-state', 'verified');
  await expect(docB.getByText('Essential hypertension')).toHaveCount(0);
  await docB.screenshot({ path: `${SCREENSHOTS}/network-doctor-b-one-category.png`, fullPage: true });

  // The patient's own view has both records.
  await nav(page, 'Home');
  await nav(page, 'Patient');
  await expect(page.getByRole('button', { name: 'Open record' })).toHaveCount(2, NET);
});

test('a doctor at a second PC has the patient with no second scan: the grant comes from the chain', async () => {
  test.setTimeout(300_000);
  const pc = await (await browser.newContext({ viewport: PHONE })).newPage();
  await importUser(pc, net.appUrl, doctorA);
  // The doctor's grant list on the consortium names the grant; its proven entry carries the keys.
  await expect(async () => {
    await nav(pc, 'Home');
    await nav(pc, 'Doctor');
    await pc.getByRole('tab', { name: 'My patients' }).click();
    await expect(pc.getByText(`${patient.id.slice(0, 12)}…`)).toHaveCount(1, { timeout: 10_000 });
  }).toPass(NET);
  await pc.getByRole('tab', { name: 'Patient history' }).click();
  await pc.getByLabel('Patient', { exact: true }).selectOption({ index: 1 });
  await pc.getByLabel('Category').selectOption('');
  await pc.getByRole('button', { name: 'Find records' }).click();
  // Both records are in the granted categories (Endocrine, Heart and circulation), verified here.
  await expect(pc.locator('article')).toHaveCount(2, NET);
  await expect(pc.getByTestId('verified-badge').first()).toHaveAttribute('data-state', 'verified', NET);
  await pc.context().close();
});

test('(c) the patient revokes offline; back online, the doctor’s next search is refused by name', async () => {
  test.setTimeout(300_000);
  const page = patientPage;
  await page.context().setOffline(true);
  await page.getByRole('tab', { name: 'Who has access' }).click();
  const row = page.getByTestId('holders').locator('li', { hasText: doctorB.name });
  await row.getByRole('button', { name: 'Revoke access' }).click();
  await expect(page.getByTestId('holders').locator('li', { hasText: doctorB.name })).toHaveCount(0);
  // Signed and queued on the device, not yet on the network.
  await expect
    .poll(async () => (await outbox(page)).filter((e) => e.kind === 'revocation').map((e) => e.status))
    .toEqual(['pending']);
  await expect(page.getByTestId('outbox-badge')).toContainText('1');

  await page.context().setOffline(false);
  const t0 = Date.now();
  await expect
    .poll(async () => (await outbox(page)).filter((e) => e.kind === 'revocation').map((e) => e.status), NET)
    .toEqual(['sent']);

  await docB.getByRole('button', { name: 'Find records' }).click();
  const banner = docB.getByRole('alert');
  await expect(banner).toHaveAttribute('data-code', 'consent/revoked', NET);
  figure('online_to_doctor_refused_ms (revocation sent, committed, next search refused)', t0);
  await expect(banner).toContainText('The patient has withdrawn this access.');
  await docB.screenshot({ path: `${SCREENSHOTS}/network-doctor-b-revoked.png`, fullPage: true });
  // The doctor's list of patients says so too (and keeps saying it offline).
  await expect(async () => {
    await nav(docB, 'Home');
    await nav(docB, 'Doctor');
    await docB.getByRole('tab', { name: 'My patients' }).click();
    const ended = docB.getByTestId('doc-patients').locator('li', { hasText: 'Access ended' });
    await expect(ended).toHaveCount(1, { timeout: 10_000 });
  }).toPass(NET);

  // Doctor A's grant is untouched.
  await docA.getByRole('tab', { name: 'Patient history' }).click();
  await docA.getByLabel('Category').selectOption('');
  await docA.getByRole('button', { name: 'Find records' }).click();
  await expect(docA.locator('article')).toHaveCount(2, NET);
});

test('(d) a node serving an altered record: the app shows the alarm, not the record', async () => {
  test.setTimeout(300_000);
  // The sealed blobs as doctor A's app sent them (still in its outbox), for the lying node to alter.
  const sent = await docA.evaluate(
    () =>
      new Promise<string[]>((ok, fail) => {
        const req = indexedDB.open('carechain');
        req.onsuccess = () => {
          const all = req.result.transaction('outbox').objectStore('outbox').getAll();
          all.onsuccess = () =>
            ok(
              (all.result as { kind: string; bytes: Uint8Array }[])
                .filter((e) => e.kind === 'record')
                .map((e) => Array.from(e.bytes, (b) => b.toString(16).padStart(2, '0')).join(''))
            );
          all.onerror = () => fail(all.error);
        };
      })
  );
  expect(sent).toHaveLength(2);
  const blobsFile = join(dir, 'liar-blobs.json');
  writeFileSync(
    blobsFile,
    JSON.stringify(Object.fromEntries(sent.map((hex) => [toHex(sha256(Buffer.from(hex, 'hex'))), hex])))
  );
  const port = net.nodes[0]!.ports.http + 2000;
  liar = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'tests/e2e/app-network-liar.ts',
      net.nodes[2]!.addr,
      blobsFile,
      net.layout.genesisFile,
      String(port)
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: liar!.stdout! }).once('line', ok);
    liar!.once('exit', (code) => fail(new Error(`liar exited ${code}`)));
  });
  const liarUrl = (JSON.parse(line) as { url: string }).url;
  // The same app, deployed to name only the lying node.
  const appDir = join(dir, 'app-liar');
  cpSync(join(dir, 'app'), appDir, { recursive: true });
  writeFileSync(
    join(appDir, 'carechain-network.json'),
    JSON.stringify({ genesisHash: net.layout.consortiumHash, nodes: [liarUrl], devnet: true })
  );
  liarApp = await serveBuild(appDir);

  const page = await (await patientBrowser.newContext({ viewport: PHONE })).newPage();
  await importUser(page, liarApp.url, patient);
  const open = page.getByRole('button', { name: 'Open record' });
  await expect(async () => {
    await nav(page, 'Home');
    await nav(page, 'Patient');
    await expect(open).toHaveCount(2, { timeout: 10_000 });
  }).toPass(NET);
  const codes: (string | null)[] = [];
  for (let i = 0; i < 2; i++) {
    await open.nth(i).click();
    const banner = page.getByRole('alert').first();
    await expect(banner).toBeVisible(NET);
    codes.push(await banner.getAttribute('data-code'));
  }
  expect(codes).toContain('light/record-altered');
  await expect(page.getByTestId('verified-badge').filter({ hasText: 'Verified' })).toHaveCount(0);
  await expect(page.getByText('Type 2 diabetes mellitus')).toHaveCount(0);
  await open.nth(codes.indexOf('light/record-altered')).click();
  await expect(page.getByRole('alert').first()).toHaveClass(/alarm/);
  await page.screenshot({ path: `${SCREENSHOTS}/network-record-altered.png`, fullPage: true });
});

const EMERGENCY_REASON = 'Unconscious in A&E, suspected hypoglycaemia';

test('(e) in an emergency, a doctor without a grant opens every record with a colleague’s co-signature', async () => {
  test.setTimeout(300_000);
  // Doctor B's grant was revoked in (c); doctor A, present at the same device, co-signs.
  await docB.getByRole('tab', { name: 'Emergency access' }).click();
  await docB.locator('#bg-patient').fill(patient.id);
  await docB.locator('#bg-reason').fill(EMERGENCY_REASON);
  await docB.locator('#bg-file').setInputFiles({
    name: 'cosigner-backup.json',
    mimeType: 'application/json',
    buffer: Buffer.from(doctorA.backup)
  });
  await docB.locator('#bg-pass').fill(doctorA.passphrase);
  await docB.getByRole('button', { name: 'Request emergency access' }).click();
  let t0 = Date.now();
  await waitSent(docB, 'break-glass');
  figure('break_glass_committed_ms', t0);
  t0 = Date.now();
  // Found through the hospitals (no search capability), verified against the hospital chain, opened
  // with the key Dhaka's authority node released to doctor B — the category B was never granted too.
  const cards = docB.locator('article');
  await expect(async () => {
    await docB.getByRole('button', { name: 'Open this patient’s records' }).click();
    await expect(cards).toHaveCount(2, { timeout: 15_000 });
  }).toPass(NET);
  figure('break_glass_listed_verified_opened_ms (both hospitals asked, 2 records)', t0);
  await expect(cards.filter({ hasText: 'Essential hypertension' })).toHaveCount(1);
  await expect(cards.filter({ hasText: 'Type 2 diabetes mellitus' })).toHaveCount(1);
  await expect(cards.first()).toContainText('Emergency access');
  await expect(docB.getByTestId('verified-badge').filter({ hasText: 'Verified' })).toHaveCount(2);
  // Every hospital answered and none holds more than it listed: no warning that the list is partial.
  await expect(docB.getByTestId('bg-gaps')).toHaveCount(0);
  await docB.screenshot({ path: `${SCREENSHOTS}/network-doctor-break-glass.png`, fullPage: true });
});

test('the access log shows, from the hospital chains, who wrote and who read the records', async () => {
  test.setTimeout(300_000);
  const page = patientPage;
  const log = page.locator('ol.log');
  await expect(async () => {
    await nav(page, 'Home');
    await nav(page, 'Patient');
    await page.getByRole('tab', { name: 'Access log' }).click();
    await expect(log).toContainText('Dr. Karim Hossain read', { timeout: 10_000 });
  }).toPass(NET);
  await expect(log).toContainText('Dr. Ayesha Rahman wrote');
  await expect(log).toContainText('Dr. Ayesha Rahman read');
  await expect(log).toContainText('Dr. Karim Hossain lost access');
  // The patient's own reads are logged too, and named as theirs rather than by a key.
  await expect(log).toContainText('You (on one of your devices) read');
  await expect(log).not.toContainText(patient.id.slice(0, 10));
  // The emergency, from the consortium, with its reason and co-signer; the reads it led to are listed too.
  await expect(log).toContainText(
    `Emergency access by Dr. Karim Hossain: ${EMERGENCY_REASON} (co-signed by Dr. Ayesha Rahman)`
  );
  await expect(page.getByTestId('access-timeline')).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/network-access-log.png`, fullPage: true });
});

test('the account restored from its backup on a new device sees the same records, verified', async () => {
  test.setTimeout(300_000);
  const page = await (await patientBrowser.newContext({ viewport: PHONE })).newPage();
  await importUser(page, net.appUrl, patient);
  // The account screen reads the registration from proven consortium state: 2 of 3 managers approved.
  await expect(page.getByText('Registered: a majority of managers approved.')).toBeVisible(NET);
  await expect(page.getByText('2 of 2 approvals needed (3 managers)')).toBeVisible();
  const open = page.getByRole('button', { name: 'Open record' });
  await expect(async () => {
    await nav(page, 'Home');
    await nav(page, 'Patient');
    await expect(open).toHaveCount(2, { timeout: 10_000 });
  }).toPass(NET);
  for (let i = 0; i < 2; i++) {
    await open.nth(i).click();
    await expect(page.getByTestId('verified-badge')).toHaveAttribute('data-state', 'verified', NET);
    await page.getByRole('button', { name: /Back to records/ }).click();
  }
  // Who has access comes from the chain's proven grant list, so the old device's grants are here:
  // doctor A's, still live; not doctor B's, revoked in (c). It is revoked from this device...
  await page.getByRole('tab', { name: 'Who has access' }).click();
  const holders = page.getByTestId('holders').locator('li');
  await expect(holders.filter({ hasText: doctorA.name })).toHaveCount(1, NET);
  await expect(holders.filter({ hasText: doctorB.name })).toHaveCount(0);
  const oldEpoch = await recordKeyEpoch(patientPage);
  await holders.filter({ hasText: doctorA.name }).getByRole('button', { name: 'Revoke access' }).click();
  await waitSent(page, 'revocation');
  // ...and the old device, which made the grant, learns it was withdrawn.
  await expect(async () => {
    await nav(patientPage, 'Home');
    await nav(patientPage, 'Patient');
    await patientPage.getByRole('tab', { name: 'Access log' }).click();
    const lost = patientPage.locator('ol.log li', { hasText: 'lost access' });
    await expect(lost.filter({ hasText: doctorA.name })).toHaveCount(1, { timeout: 10_000 });
  }).toPass(NET);
  // The grant carried the old device's record-key epoch; it moves on too, so its next grants hand
  // out keys doctor A never held.
  expect(await recordKeyEpoch(patientPage)).toBeGreaterThan(oldEpoch);
  await patientPage.getByRole('tab', { name: 'Who has access' }).click();
  await expect(patientPage.getByTestId('holders')).toHaveCount(0);
  await docA.getByRole('button', { name: 'Find records' }).click();
  await expect(docA.getByRole('alert')).toHaveAttribute('data-code', 'consent/revoked', NET);

  // This device never saw the old one's consent numbers; its first grant must still be new to the
  // chain (not refused as a replay of the old device's first one).
  await grant(page, doctorA, 'Dhaka Medical College Hospital', [/Endocrine/]);
  await waitSent(page, 'grant');
});

/** The record-key epoch a device's next grant uses, read from its IndexedDB settings. */
function recordKeyEpoch(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('carechain');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('settings').objectStore('settings').get('epoch');
          get.onerror = () => reject(get.error);
          get.onsuccess = () => {
            open.result.close();
            resolve(get.result as number);
          };
        };
      })
  );
}

/** A new user on their own device: keys made in the app, the signed request posted to the nodes' mailbox. */
async function signUp(
  name: string,
  role: 'patient' | 'doctor',
  opts: { replaces?: string } = {}
): Promise<{ page: Page; key: string }> {
  const page = await (await patientBrowser.newContext({ viewport: PHONE })).newPage();
  await page.goto(`${net.appUrl}/#/onboarding`);
  await page.getByLabel('Account type').selectOption(role);
  await page.locator('#onb-label').fill(name);
  if (role === 'doctor') {
    await page.locator('#doc-name').fill(name);
    await page.locator('#doc-degree').fill('MBBS, FCPS');
    await page.locator('#doc-spec').fill('Nephrology');
    await page.locator('#doc-hosp').fill('H2');
    await page.locator('#doc-rank').selectOption('registrar');
  }
  if (opts.replaces) await page.locator('#rec-old').fill(opts.replaces);
  await page.locator('#onb-pass1').fill(`a long passphrase for ${name}`);
  await page.locator('#onb-pass2').fill(`a long passphrase for ${name}`);
  await page.getByTestId('create-keys').click();
  await expect(page.getByTestId('onb-done')).toContainText('Keys created', { timeout: 60_000 });
  const key = (await page.getByTestId('public-key').textContent())!.trim();
  await waitSent(page, opts.replaces ? 'recovery' : 'registration');
  // The request waits in the mailbox: the app shows it pending, with no approvals yet.
  await expect(page.getByTestId('reg-status')).toHaveAttribute('data-state', 'pending', NET);
  return { page, key };
}

/** A system manager approves, from the pending list, the requests of these keys. */
async function approveAll(managerIndex: number, keys: string[]) {
  const page = await (await browser.newContext({ viewport: PHONE })).newPage();
  await importUser(page, net.appUrl, await net.manager(managerIndex));
  await nav(page, 'Manager');
  let sent = 0;
  for (const key of keys) {
    const item = page.getByRole('listitem').filter({ hasText: `key: ${key.slice(0, 16)}` });
    await expect(async () => {
      await page.getByRole('button', { name: 'Refresh the list' }).click();
      await expect(item).toHaveCount(1, { timeout: 5_000 });
    }).toPass(NET);
    await item.getByTestId('approve-listed').click();
    // Sent means a node filed it (durably) in the mailbox; the last approval may take the item away.
    sent++;
    await expect
      .poll(
        async () => (await outbox(page)).filter((e) => e.kind === 'approval' && e.status === 'sent').length,
        NET
      )
      .toBe(sent);
  }
  return page;
}

test('a patient and a doctor register in the app; two of the three managers approve in theirs', async () => {
  test.setTimeout(600_000);
  const t0 = Date.now();
  const newPatient = await signUp('Nasima Akter', 'patient');
  const newDoctor = await signUp('Dr. Farhan Kabir', 'doctor');
  const first = await approveAll(0, [newPatient.key, newDoctor.key]);
  // One approval of three managers is not a majority: still pending, with the count shown.
  await expect(newPatient.page.getByText('1 of 2 approvals needed (3 managers)')).toBeVisible(NET);
  await expect(newPatient.page.getByTestId('reg-status')).toHaveAttribute('data-state', 'pending');
  await expect(newPatient.page.getByRole('heading', { name: 'Registration request' })).toBeVisible();
  await first.screenshot({ path: `${SCREENSHOTS}/network-manager-pending.png`, fullPage: true });
  await approveAll(2, [newPatient.key, newDoctor.key]);
  for (const u of [newPatient, newDoctor])
    await expect(u.page.getByTestId('reg-status')).toHaveAttribute('data-state', 'approved', NET);
  figure('registration_two_approvals_to_active_ms', t0);
  // The request has done its work: its code is no longer offered.
  await expect(newPatient.page.getByRole('heading', { name: 'Registration request' })).toHaveCount(0);
  await newDoctor.page.screenshot({ path: `${SCREENSHOTS}/network-registered.png`, fullPage: true });
  // Approved requests leave the managers' list.
  await first.getByRole('button', { name: 'Refresh the list' }).click();
  await expect(first.getByRole('listitem').filter({ hasText: newPatient.key.slice(0, 16) })).toHaveCount(
    0,
    NET
  );
});

test('a lost device: new keys on a new device, recovery approved by a majority, the old key rotated out', async () => {
  test.setTimeout(600_000);
  const old = await signUp('Rafiq Islam', 'patient');
  await approveAll(1, [old.key]);
  await approveAll(2, [old.key]);
  await expect(old.page.getByTestId('reg-status')).toHaveAttribute('data-state', 'approved', NET);

  const fresh = await signUp('Rafiq Islam (new phone)', 'patient', { replaces: old.key });
  await approveAll(0, [fresh.key]);
  await approveAll(1, [fresh.key]);
  await expect(fresh.page.getByTestId('reg-status')).toHaveAttribute('data-state', 'approved', NET);
  // The old device's key is no longer the account's: the chain holds it as rotated.
  await old.page.reload();
  await expect(old.page.getByTestId('reg-status')).toHaveAttribute('data-state', 'rotated', NET);
});

test('one manager proposes a new hospital and a rank in the app; a second approves both from the list', async () => {
  test.setTimeout(600_000);
  const doctor = await net.user('doctor', 'Dr. Shirin Akhter', 'H3', 'intern');
  const authority = deriveAccountKeys(sha256(new TextEncoder().encode('e2e/H9 authority')));
  const first = await (await browser.newContext({ viewport: PHONE })).newPage();
  await importUser(first, net.appUrl, await net.manager(0));
  await nav(first, 'Manager');
  await first.getByRole('tab', { name: 'Add hospital' }).click();
  await first.locator('#hosp-id').fill('H9');
  await first.locator('#hosp-name').fill('Cox’s Bazar Sadar Hospital');
  await first.locator('#hosp-auth').fill(toHex(authority.signingPublic));
  await first.locator('#hosp-enc').fill(toHex(authority.encryptionPublic));
  await first.getByRole('button', { name: 'Approve adding this hospital' }).click();
  await waitSent(first, 'hospital');
  await first.getByRole('tab', { name: 'Doctor rank' }).click();
  await first.getByRole('textbox', { name: 'Doctor (Public key)' }).fill(doctor.id);
  await first.getByRole('combobox', { name: 'Rank' }).selectOption('registrar');
  await first.getByRole('button', { name: 'Approve this rank' }).click();
  await waitSent(first, 'rank');

  // The second manager sees both changes, with what they do, and approves the very same ones.
  const second = await (await browser.newContext({ viewport: PHONE })).newPage();
  await importUser(second, net.appUrl, await net.manager(2));
  await nav(second, 'Manager');
  const hospitalItem = second.getByRole('listitem').filter({ hasText: 'Hospital: H9' });
  const rankItem = second
    .getByRole('listitem')
    .filter({ hasText: `Doctor’s key: ${doctor.id.slice(0, 16)}` });
  await expect(async () => {
    await second.getByRole('button', { name: 'Refresh the list' }).click();
    await expect(hospitalItem).toContainText('New hospital', { timeout: 5_000 });
    await expect(rankItem).toContainText('Rank change', { timeout: 5_000 });
  }).toPass(NET);
  await expect(hospitalItem).toContainText('1 of 2 needed (majority of 3)');
  // Whom the change concerns, as the consortium proves them, and what it changes.
  await expect(rankItem).toContainText('Full name: Dr. Shirin Akhter');
  await expect(rankItem).toContainText('Rank now: Intern');
  await expect(rankItem).toContainText('New rank: Registrar');
  await second.screenshot({ path: `${SCREENSHOTS}/network-manager-changes.png`, fullPage: true });
  await hospitalItem.getByTestId('approve-listed').click();
  await rankItem.getByTestId('approve-listed').click();

  // Both committed: they leave the list, and the hospital is listed before any node of it runs.
  await expect(async () => {
    await second.getByRole('button', { name: 'Refresh the list' }).click();
    await expect(hospitalItem).toHaveCount(0, { timeout: 5_000 });
    await expect(rankItem).toHaveCount(0, { timeout: 5_000 });
  }).toPass(NET);
  await second.getByRole('tab', { name: 'Add hospital' }).click();
  await expect(second.getByText('Cox’s Bazar Sadar Hospital (H9): 0 validators, no blocks yet')).toBeVisible(
    NET
  );
});

test('with every node out of reach, the installed app starts its light client from the device and answers from what it verified', async () => {
  test.setTimeout(300_000);
  const page = patientPage;
  const context = page.context();
  await context.setOffline(true);
  try {
    await page.reload();
    // The genesis this device accepted before, checked against the pin again; no node: offline answers.
    await expect(page.getByText('No hospital node reachable')).toBeVisible(NET);
    await nav(page, 'Patient');
    await page.getByLabel('Passphrase').fill(patient.passphrase);
    await page.getByTestId('unlock').click();
    const heart = page.getByRole('listitem').filter({ hasText: 'Heart and circulation' });
    await expect(heart.getByRole('button', { name: 'Open record' })).toHaveCount(1, NET);
    await heart.getByRole('button', { name: 'Open record' }).click();
    await expect(page.getByTestId('verified-badge')).toHaveAttribute('data-state', 'verified', NET);
    await expect(page.locator('article')).toContainText('Essential hypertension');
    await expect(page.getByTestId('verified-cached')).toBeAttached();
    await page.screenshot({ path: `${SCREENSHOTS}/network-offline-cached.png`, fullPage: true });
  } finally {
    await context.setOffline(false);
  }
  // Back online, the app finds the nodes again by itself.
  await expect(page.getByText(/Up to date \(\d+ nodes\)/)).toBeVisible(NET);
});
