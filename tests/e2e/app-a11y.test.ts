import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  PHONE,
  SCREENSHOTS,
  ensureBuilt,
  nav,
  serveBuild,
  testAccount,
  type StaticServer,
  type TestAccount
} from './app-support.js';

let server: StaticServer;
test.beforeAll(async () => {
  ensureBuilt();
  server = await serveBuild();
});
test.afterAll(async () => server?.close());

/** No serious or critical axe violations on what the page shows now. */
async function expectAccessible(page: Page, screen: string) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${screen}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

/** Nothing on the screen is wider than the phone: no sideways scrolling to reach a control. */
async function expectFitsWidth(page: Page, screen: string) {
  const { scroll, view } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    view: window.innerWidth
  }));
  expect(scroll, `${screen} is wider than the screen`).toBeLessThanOrEqual(view);
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

async function withAccount(browser: Browser, acc: TestAccount): Promise<Page> {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/onboarding`);
  await page.getByLabel('Backup file').setInputFiles({
    name: 'backup.json',
    mimeType: 'application/json',
    buffer: Buffer.from(acc.backup)
  });
  await page.locator('#imp-pass').fill(acc.passphrase);
  await page.getByRole('button', { name: 'Import account' }).click();
  await expect(page.getByTestId('onb-done')).toBeVisible({ timeout: 30_000 });
  return page;
}

async function eachTab(page: Page, screen: string) {
  const tabs = page.getByRole('tab');
  // The tab list renders after the unlock gate: wait for it rather than count an empty page.
  await expect.poll(() => tabs.count(), { timeout: 30_000 }).toBeGreaterThan(1);
  const n = await tabs.count();
  for (let i = 0; i < n; i++) {
    const tab = tabs.nth(i);
    const id = (await tab.getAttribute('data-testid'))!.replace('tab-', '');
    await tab.click();
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expectAccessible(page, `${screen}/${id}`);
    await expectFitsWidth(page, `${screen}/${id}`);
    await shot(page, `${screen}-${id}`);
  }
}

test('home and onboarding: accessible, keyboard skip link, Bangla switch that persists', async ({ page }) => {
  await page.setViewportSize(PHONE);
  await page.goto(`${server.url}/`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome to carechain');
  await expectAccessible(page, 'home');
  await shot(page, 'home-en');

  // Keyboard: the first Tab reaches the skip link, which moves focus to the main landmark.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();

  await page.getByRole('main').getByRole('button', { name: 'বাংলা' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'bn');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('কেয়ারচেইনে স্বাগতম');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('কেয়ারচেইনে স্বাগতম');
  await expect(page.getByRole('navigation')).toContainText('রোগী');
  await expectAccessible(page, 'home-bn');
  await shot(page, 'home-bn');

  await nav(page, 'অ্যাকাউন্ট');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('আপনার অ্যাকাউন্ট');
  // Focus moves to the new screen's heading after navigation.
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
  await expectAccessible(page, 'onboarding-bn');
  await page.getByRole('banner').getByRole('button', { name: 'English' }).click();
  await expectAccessible(page, 'onboarding');
  await shot(page, 'onboarding');
});

test('patient, doctor and manager screens: accessible in every tab, screenshots at phone size', async ({
  browser
}) => {
  const accounts = {
    patient: await testAccount('patient', 'patient phone', 21),
    doctor: await testAccount('doctor', 'Dr. Karim Uddin', 22),
    manager: await testAccount('manager', 'manager office', 23)
  };
  const names = { patient: 'Patient', doctor: 'Doctor', manager: 'Manager' } as const;
  for (const role of ['patient', 'doctor', 'manager'] as const) {
    const page = await withAccount(browser, accounts[role]);
    await expectAccessible(page, `onboarding-${role}`);
    await nav(page, names[role]);
    // No network is connected in this build: the screen says so plainly.
    await expect(page.getByTestId('not-connected')).toBeVisible();
    await eachTab(page, role);
    // Arrow keys move between tabs (WAI-ARIA tabs pattern).
    await page.getByRole('tab').first().click();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('tab').nth(1)).toBeFocused();
    await expect(page.getByRole('tab').nth(1)).toHaveAttribute('aria-selected', 'true');
    // Bangla words run longer than English ones: every tab still fits the phone.
    await page.getByRole('banner').getByRole('button', { name: 'বাংলা' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'bn');
    const tabs = page.getByRole('tab');
    for (let i = 0; i < (await tabs.count()); i++) {
      await tabs.nth(i).click();
      await expect(tabs.nth(i)).toHaveAttribute('aria-selected', 'true');
      await expectFitsWidth(page, `${role}/bn/${i}`);
    }
    await page.context().close();
  }
});
