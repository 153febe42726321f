// Scenario 7 (issue 6) and issue 4's hard-reloaded tab: a tab is shift-reloaded (CDP
// `Page.reload` with `ignoreCache`), which leaves it without a controller (docs/platform-facts.md §5), and
// joins a storm of two controlled tabs through the demo's attached axios instance. Still
// exactly one refresh per lifetime, no reuse, no 401, no failed request.
import type { Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import {
  apiRequests,
  oneRefreshPerLifetime,
  refreshSummary,
  refreshTimingViolations,
  requestTrail,
  watchGenerations,
} from './harness/server-counters.js';
import { startStorm, stormAcrossLifetimes, type Via } from './harness/traffic.js';
import { brokerStatus, loginThroughForm, openDemo } from './harness/tabs.js';
import { hardReload, keepUncontrolled, CHROMIUM_ONLY } from './harness/worker-control.js';

test.skip(({ browserName }) => browserName !== 'chromium', CHROMIUM_ONLY.hardReload);

const TTL_S = 6;
/** Refresh lead: due at expiry − min(lead, lifetime / 4) = 1.5 s before expiry. */
const LEAD_S = 1.5;
const LIFETIMES = 3;

test.use({ serverOptions: { accessTtlSeconds: TTL_S } });

/** Remembers, before any page script runs, whether the page started out controlled. */
async function recordControlAtStart(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (globalThis as unknown as { __controlledAtStart: boolean }).__controlledAtStart =
      navigator.serviceWorker.controller !== null;
  });
}

/**
 * Runs the storm: two controlled tabs start, the third is hard-reloaded mid-storm and joins
 * with `reloadedVia`, until the tokens of `LIFETIMES` lifetimes were replaced. Then checks the
 * server's counts.
 */
async function stormWithHardReload(tabs: Page[], server: TestServer, reloadedVia: Via[]): Promise<void> {
  const [a, b, reloaded] = tabs as [Page, Page, Page];
  for (const tab of [a, b]) await recordEvents(tab);
  const watch = watchGenerations(server);
  await loginThroughForm(a);
  await startStorm(a);
  await startStorm(b);

  await hardReload(reloaded);
  await reloaded.waitForSelector('body[data-ready="true"]');
  expect(
    await reloaded.evaluate(
      () => (globalThis as unknown as { __controlledAtStart: boolean }).__controlledAtStart,
    ),
  ).toBe(false);
  await recordEvents(reloaded);
  await startStorm(reloaded, { via: reloadedVia });

  const storms = await stormAcrossLifetimes(server, tabs, LIFETIMES, TTL_S, LIFETIMES * 4);
  const seen = watch.stop();
  const counters = server.control.counters();
  expect(refreshSummary(counters), requestTrail(counters)).toEqual(oneRefreshPerLifetime(LIFETIMES));
  const api = apiRequests(counters, '/api/me');
  expect(api.length).toBe(storms.reduce((n, s) => n + s.ok, 0));
  expect(api.filter((r) => !r.authorization || r.status !== 200)).toEqual([]);
  expect(refreshTimingViolations(seen, TTL_S * 1000, LEAD_S * 1000)).toEqual([]);
  for (const tab of tabs) expect(await recordedEvents(tab, 'logout')).toEqual([]);
}

test('a hard-reloaded tab is claimed again and joins the storm with fetch and axios: one refresh per lifetime', async ({
  context,
  server,
}) => {
  const tabs: Page[] = [];
  for (let i = 0; i < 3; i++) tabs.push(await openDemo(context, server, { lead: LEAD_S }));
  await recordControlAtStart(tabs[2]!);

  await stormWithHardReload(tabs, server, ['fetch', 'axios']);
  // The client's readiness gate asked the worker to claim the reloaded page.
  expect(await brokerStatus(tabs[2]!)).toMatchObject({ controlled: true, loggedIn: true });
});

test('a hard-reloaded tab that stays uncontrolled joins the storm through attached axios and the client fetch: one refresh per lifetime', async ({
  context,
  server,
}) => {
  const tabs: Page[] = [];
  for (let i = 0; i < 3; i++) tabs.push(await openDemo(context, server, { lead: LEAD_S }));
  await recordControlAtStart(tabs[2]!);
  // Keep the reloaded page uncontrolled, as in a browser where the claim does not take: its
  // client's `claim` call reaches the worker as a `status` call instead. Then only the
  // client's attached axios interceptors and its `fetch` can authenticate that tab's requests.
  await keepUncontrolled(tabs[2]!);

  await stormWithHardReload(tabs, server, ['axios', 'broker-fetch']);
  expect(await tabs[2]!.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
  expect(await brokerStatus(tabs[2]!)).toMatchObject({ controlled: false, loggedIn: true });
});
