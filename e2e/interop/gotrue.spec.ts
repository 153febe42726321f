// Issue 9: the `gotrue` preset in a real browser against the GoTrue-shaped fixture on another
// origin, as a Supabase project is: the worker's refresh carries `apikey` (a CORS preflight), and
// the page talks to PostgREST with the anon key as its bearer, as supabase-js does, which the worker
// replaces with the user's token. Every count is what the fixture saw.
import { expect, test as base } from './fixtures.js';
import {
  GOTRUE_EMAIL,
  GOTRUE_PASSWORD,
  startGoTrueFixture,
  supabaseWorkerConfig,
  type GoTrueFixture,
} from './gotrue-fixture.js';
import type { PageConfig } from './page-config.js';
import { gotrueLogin, openApp } from './page-helpers.js';
import { recordedEvents } from '../harness/events.js';
import { startStorm, stopStorm } from '../harness/traffic.js';

// GoTrue, like oidc-provider, stamps `exp` in whole seconds: 6 s tokens refreshed 1.5 s early
// (see oidc-provider.spec.ts).
const TTL_S = 6;
const LEAD_S = 2;
const LIFETIMES = 2;

const test = base.extend<{ gotrue: GoTrueFixture }>({
  gotrue: async ({ app }, use) => {
    const gotrue = await startGoTrueFixture({ accessTtlSeconds: TTL_S });
    try {
      const config: PageConfig = {
        worker: { ...supabaseWorkerConfig(gotrue), refreshLeadSeconds: LEAD_S },
        gotrue: { url: gotrue.url, apiKey: gotrue.apiKey },
      };
      app.setPageConfig(config);
      await use(gotrue);
    } finally {
      await gotrue.close();
    }
  },
});

test(`2 tabs across ${LIFETIMES} lifetimes → one rotation per lifetime with apikey; then a sign-out elsewhere logs both tabs out`, async ({
  context,
  app,
  gotrue,
}) => {
  const tabs = [await openApp(context, app.url), await openApp(context, app.url)];
  await gotrueLogin(tabs[0]!, GOTRUE_EMAIL, GOTRUE_PASSWORD);
  const rest = {
    url: `${gotrue.url}/rest/v1/todos`,
    headers: { apikey: gotrue.apiKey, Authorization: `Bearer ${gotrue.apiKey}` },
  };
  await Promise.all(tabs.map((tab) => startStorm(tab, { burst: 6, ...rest })));
  const refreshes = () => gotrue.tokenCalls.filter((c) => c.grantType === 'refresh_token');
  // Time is the subject: storm until the fixture rotated LIFETIMES times (or refused something).
  await expect
    .poll(
      () =>
        refreshes().filter((c) => c.status === 200).length >= LIFETIMES ||
        refreshes().some((c) => c.status >= 300),
      { timeout: (LIFETIMES + 2) * TTL_S * 1000, intervals: [50] },
    )
    .toBe(true);
  const storms = await Promise.all(tabs.map((tab) => stopStorm(tab)));

  expect(refreshes().map((c) => [c.status, c.apikey, c.contentType])).toEqual(
    Array(LIFETIMES).fill([200, gotrue.apiKey, 'application/json']),
  );
  expect(gotrue.reuses).toEqual([]);
  for (const [i, storm] of storms.entries()) {
    expect(storm.failed, `tab ${i} failures: ${storm.errors.join('; ')}`).toBe(0);
    expect(storm.ok).toBeGreaterThan(LIFETIMES * 6);
  }
  // PostgREST saw the user's token on every request, never the anon key the page put there.
  expect(gotrue.restCalls).toHaveLength(storms.reduce((n, s) => n + s.ok, 0));
  expect(gotrue.restCalls.filter((c) => c.status !== 200)).toEqual([]);

  // Signed out everywhere (another device, an admin): the next refresh gets
  // refresh_token_not_found, and both tabs hear refresh-rejected.
  gotrue.signOutEverywhere();
  for (const tab of tabs) {
    await expect
      .poll(() => recordedEvents(tab, 'logout'), { timeout: 2 * TTL_S * 1000 })
      .toEqual([expect.objectContaining({ reason: 'refresh-rejected' })]);
  }
  expect(
    refreshes()
      .slice(LIFETIMES)
      .map((c) => c.errorCode),
  ).toEqual(['refresh_token_not_found']);
});
