import { copyFile } from 'node:fs/promises';
import { loginThroughForm, openDemo } from './harness/tabs.js';
import { expect, test, type TestServer } from './fixtures.js';
import type { DemoStats } from '../demo/lab/stats-types.js';

// The demo's proof (issue 21): two tabs, one race. The broker's session takes one refresh and
// no reuse; the classic interceptor's session, raced the same way, is revoked by the server's
// reuse detection and its tabs are logged out. Short lifetimes so the race falls due in seconds.
test.use({ serverOptions: { accessTtlSeconds: 8, demoMode: true } });

async function demoStats(server: TestServer): Promise<DemoStats> {
  return (await (await fetch(`${server.url}/__demo/stats`)).json()) as DemoStats;
}

test('race in two tabs: broker one refresh and zero reuse, classic reuse and logout', async ({
  context,
  server,
}, testInfo) => {
  // No panel polling: the race's moment should meet only its own requests.
  const a = await openDemo(context, server, { panelPoll: 0 });
  await loginThroughForm(a);
  const b = await openDemo(context, server, { panelPoll: 0 });
  await expect(b.locator('#state')).toHaveText('logged in');
  await expect(a.locator('#tab-name')).toHaveText('tab 1');
  await expect(b.locator('#tab-name')).toHaveText('tab 2');

  // Side by side: one classic session, shared by both tabs through localStorage.
  await a.locator('#side-by-side').check();
  await expect(b.locator('#classic-panel')).toBeVisible();
  await a.click('#classic-login');
  await expect(b.locator('#classic-state')).toHaveText('logged in');

  // Keyboard only: the race button takes focus and Enter. Keys go to the tab in front: in Firefox
  // the Enter sent to tab 1 behind tab 2 never clicked the button.
  await a.bringToFront();
  await a.locator('#race').focus();
  await a.keyboard.press('Enter');
  await expect(b.locator('#race-status')).toContainText('Race armed by tab 1');

  for (const page of [a, b]) {
    const broker = page.locator('#race-outcome-broker');
    await expect(broker).toHaveAttribute('data-alive', 'true', { timeout: 20_000 });
    await expect(broker).toHaveAttribute('data-refreshes', '1');
    await expect(broker).toHaveAttribute('data-reuse', '0');
    const classic = page.locator('#race-outcome-classic');
    await expect(classic).toHaveAttribute('data-alive', 'false');
    await expect(classic).toHaveAttribute('data-reuse', '1');
    await expect(page.locator('#classic-state')).toHaveText('logged out');
    await expect(page.locator('#state')).toHaveText('logged in');
  }
  await expect(a.locator('#log')).toContainText('classic: logged out');
  await expect(b.locator('#log')).toContainText('classic: logged out');

  // The server's side: the broker's session is live and every refresh call it made rotated (one
  // per lifetime; its lifetimes keep passing during the test, 8 s each); the classic session
  // presented one refresh token twice and was revoked for it.
  const stats = await demoStats(server);
  const counters = server.control.counters();
  const brokerFamily = counters.families[stats.sides.broker.family ?? ''];
  const classicFamily = counters.families[stats.sides.classic.family ?? ''];
  if (!brokerFamily || !classicFamily) throw new Error('the server knows no session of one side');
  expect(brokerFamily.revoked).toBe(false);
  expect(brokerFamily.refreshCalls).toBe(brokerFamily.rotations);
  expect(stats.sides.broker.lifetimes.every((l) => l.refreshCalls <= 1)).toBe(true);
  // Two refresh calls raced (the second is the reuse); a late 401 may add one more, refused.
  expect(classicFamily).toMatchObject({ rotations: 1, revoked: true, reason: 'reuse-detected' });
  expect(classicFamily.refreshCalls).toBeGreaterThanOrEqual(2);
  expect(counters.reuseDetections).toBe(1);
  expect(stats.sides.broker).toMatchObject({
    reuseDetections: 0,
    revokedFamilies: 0,
    requestsWithoutToken: 0,
  });
  expect(stats.sides.classic).toMatchObject({ rotations: 1, reuseDetections: 1, revokedFamilies: 1 });
  const raceAt = Math.min(...stats.sides.classic.marks.filter((m) => m.kind === 'refresh').map((m) => m.at));
  const brokerRaceRefreshes = stats.sides.broker.marks.filter(
    (m) => m.kind === 'refresh' && m.at >= raceAt - 50 && m.at < raceAt + 2000,
  );
  expect(brokerRaceRefreshes).toHaveLength(1);
  // Both tabs' requests met the 401 and were replayed by the worker after its one refresh.
  const brokerMarks = stats.sides.broker.marks;
  for (const tab of ['tab-1', 'tab-2']) {
    expect(brokerMarks.some((m) => m.kind === '401' && m.tab === tab)).toBe(true);
    expect(brokerMarks.some((m) => m.kind === 'replay' && m.tab === tab)).toBe(true);
  }

  // On screen, in both tabs: the counters and the timeline with both tabs' marks.
  for (const page of [a, b]) {
    await expect(page.locator('#count-broker-reuseDetections')).toHaveText('0');
    await expect(page.locator('#count-classic-reuseDetections')).toHaveText('1');
    // Lifetimes keep passing (8 s each): every one of them ended with exactly one refresh call.
    await expect(page.locator('#count-broker-perLifetime')).toHaveText(/^(1 · )*1 \(one per lifetime\)$/);
    for (const tab of ['tab-1', 'tab-2']) {
      await expect(
        page.locator(`#timeline .lane[data-side="broker"] .mark[data-tab="${tab}"]`).first(),
      ).toBeVisible();
      await expect(
        page.locator(`#timeline .lane[data-side="classic"] .mark.refresh[data-tab="${tab}"]`).first(),
      ).toBeVisible();
    }
    await expect(page.locator('#timeline-text')).toContainText(
      'classic: refresh, trigger proactive, from tab',
    );
    await expect(page.locator('#timeline-text')).toContainText('REUSE DETECTED');
    await expect(page.locator('#timeline-text')).toContainText('broker: replay for tab 2');
  }

  await a.locator('#timeline-details').evaluate((d) => ((d as HTMLDetailsElement).open = false));
  const desktop = testInfo.outputPath('race-desktop.png');
  await a.locator('#lab').screenshot({ path: desktop });
  await testInfo.attach('race-desktop', { path: desktop, contentType: 'image/png' });
  // `UPDATE_DEMO_SCREENSHOT=1` refreshes the README's screenshot from this run.
  if (process.env.UPDATE_DEMO_SCREENSHOT === '1') await copyFile(desktop, 'docs/demo.png');
  await a.setViewportSize({ width: 390, height: 844 });
  await a.evaluate(() => window.scrollTo(0, 0));
  // Nothing wider than the phone's screen: the page does not scroll sideways.
  expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const phone = testInfo.outputPath('race-phone.png');
  await a.screenshot({ path: phone, fullPage: true });
  await testInfo.attach('race-phone', { path: phone, contentType: 'image/png' });
});
