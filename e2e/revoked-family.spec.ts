// Scenario 5 (issue 6): the server revokes the session (its whole refresh-token family). Every
// tab must hear `logout` with a reason within 1 s of the broker finding out, after exactly one
// refresh attempt: no retry loop, no further refresh calls from any tab afterwards.
import type { Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { brokerStatus, loginThroughForm, openDemo } from './harness/tabs.js';

/** `GET /api/me` with plain fetch in the page: status, the worker's error marker, and when it was sent. */
function rawMe(page: Page) {
  return page.evaluate(async () => {
    const sentAt = Date.now();
    const response = await fetch('/api/me');
    return { sentAt, status: response.status, marker: response.headers.get('x-token-broker-error') };
  });
}

async function openLoggedInTabs(
  context: Parameters<typeof openDemo>[0],
  server: TestServer,
  query: Parameters<typeof openDemo>[2],
): Promise<Page[]> {
  const tabs: Page[] = [];
  for (let i = 0; i < 3; i++) tabs.push(await openDemo(context, server, query));
  for (const tab of tabs) await recordEvents(tab);
  await loginThroughForm(tabs[0]!);
  for (const tab of tabs) await expect.poll(() => brokerStatus(tab).then((s) => s.loggedIn)).toBe(true);
  return tabs;
}

/** After the logout: no session anywhere; further calls from every tab carry no token and never reach the token endpoint. */
async function expectDeadAndQuiet(tabs: Page[], server: TestServer): Promise<void> {
  server.control.reset();
  for (const tab of tabs) {
    expect(await brokerStatus(tab)).toMatchObject({ loggedIn: false, generation: 0 });
    expect((await rawMe(tab)).status).toBe(401);
    expect(
      await tab.evaluate(() =>
        (globalThis as unknown as { demo: { meWithAxios(): Promise<unknown> } }).demo.meWithAxios().then(
          () => 'ok',
          () => 'failed',
        ),
      ),
    ).toBe('failed');
  }
  // Time is the subject: a retry loop (worker backoff or page wake-ups, 1 s apart at first)
  // would show up as further refresh calls within this window.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const counters = server.control.counters();
  expect(counters.refreshCalls).toBe(0);
  expect(counters.requests.filter((r) => r.path === '/api/me')).toHaveLength(2 * tabs.length);
  expect(counters.requestsWithAuth).toBe(0);
  for (const tab of tabs) expect(await recordedEvents(tab, 'logout')).toHaveLength(1);
}

test.describe('revoked family, noticed by a request', () => {
  test.use({ serverOptions: { accessTtlSeconds: 60 } });

  test('the request gets the marked 401, all 3 tabs hear logout within 1 s, one refresh attempt', async ({
    context,
    server,
  }) => {
    const tabs = await openLoggedInTabs(context, server, {});
    server.control.reset();
    server.control.revokeAll();

    const first = await rawMe(tabs[1]!);
    expect(first.status).toBe(401);
    expect(first.marker).toBe('refresh-rejected');

    for (const [i, tab] of tabs.entries()) {
      await expect.poll(() => recordedEvents(tab, 'logout').then((e) => e.length), { timeout: 2000 }).toBe(1);
      const [logout] = await recordedEvents(tab, 'logout');
      expect(logout!.reason, `tab ${i}`).toBe('refresh-rejected');
      expect(logout!.at - first.sentAt, `tab ${i}: ms from the request to its logout`).toBeLessThan(1000);
    }
    const counters = server.control.counters();
    expect(counters.refreshCalls).toBe(1);
    expect(counters.invalidGrants).toBe(1);
    expect(counters.unauthorized).toBe(1);
    await expectDeadAndQuiet(tabs, server);
  });
});

test.describe('revoked family, noticed by the proactive refresh', () => {
  const TTL_S = 4;
  test.use({ serverOptions: { accessTtlSeconds: TTL_S } });

  test('idle tabs: the due refresh is rejected, all 3 tabs hear logout within 1 s of it being due, one attempt', async ({
    context,
    server,
  }) => {
    const tabs = await openLoggedInTabs(context, server, { lead: 1, panelPoll: 0 });
    server.control.reset();
    server.control.revokeAll();
    const { refreshDueIn } = await brokerStatus(tabs[0]!);
    const dueAt = Date.now() + refreshDueIn!;

    // Time is the subject: nothing happens until the refresh falls due (~3 s after login).
    for (const [i, tab] of tabs.entries()) {
      await expect
        .poll(() => recordedEvents(tab, 'logout').then((e) => e.length), { timeout: TTL_S * 1000 + 2000 })
        .toBe(1);
      const [logout] = await recordedEvents(tab, 'logout');
      expect(logout!.reason, `tab ${i}`).toBe('refresh-rejected');
      expect(logout!.at - dueAt, `tab ${i}: ms from due to logout`).toBeLessThan(1000);
    }
    const counters = server.control.counters();
    expect(counters.refreshCalls).toBe(1);
    expect(counters.invalidGrants).toBe(1);
    expect(counters.unauthorized).toBe(0);
    await expectDeadAndQuiet(tabs, server);
  });
});
