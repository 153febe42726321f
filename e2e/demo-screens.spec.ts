import { expect, test } from './fixtures.js';
import { loginThroughForm, openDemo } from './harness/tabs.js';

// The demo's visible state after login and after a refresh, with screenshots kept in the
// test output (test-results/), never committed.
test('demo panel shows the session, then the refresh and what triggered it', async ({
  browserName,
  context,
  server,
}, testInfo) => {
  const page = await openDemo(context, server);
  await expect(page.locator('#worker-state')).toContainText('controlling this page');
  await expect(page.locator('#state')).toHaveText('logged out');
  await loginThroughForm(page);

  await expect(page.locator('#generation')).toHaveText('1');
  await expect(page.locator('#expires-in')).toHaveText(/^\d+ s$/);
  await expect(page.locator('#login-section')).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('after-login.png'), fullPage: true });

  // Installable PWA: Chromium finds nothing missing (manifest, icons, worker). Playwright's
  // contexts are incognito, which Chromium reports too; that one is about the test, not the app.
  // (CHROMIUM_ONLY.installability: the rest of the test runs in every engine.)
  if (browserName === 'chromium') {
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors.filter((e) => e.errorId !== 'in-incognito')).toEqual([]);
    await cdp.detach();
  }

  await page.click('#call-fetch');
  await expect(page.locator('#log')).toContainText('fetch /api/me: ok (user demo, generation 1)');

  await page.click('#refresh');
  await expect(page.locator('#generation')).toHaveText('2');
  await expect(page.locator('#last-refresh')).toContainText('(explicit)');
  await expect(page.locator('#log')).toContainText('refreshed → generation 2 (explicit)');
  await page.screenshot({ path: testInfo.outputPath('after-refresh.png'), fullPage: true });
  expect(server.control.counters().rotations).toBe(1);

  await page.click('#logout');
  await expect(page.locator('#state')).toHaveText('logged out');
  await expect(page.locator('#log')).toContainText('logout (user-logout)');
});
