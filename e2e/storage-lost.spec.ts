// Storage lost (issue 13): IndexedDB is cleared while the app runs and the worker restarts with
// neither session nor config. The open tabs restore the config without a reload, so the next
// login is captured (no refresh token in page JavaScript) and tokens are attached again. With no
// tab able to restore it, the worker fails closed: a response carrying a refresh token never
// reaches the page.
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { readStoredSession } from './harness/storage.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';
import { stopServiceWorkers, CHROMIUM_ONLY } from './harness/worker-control.js';

test.skip(({ browserName }) => browserName !== 'chromium', CHROMIUM_ONLY.clearStorage);

/** Clears the origin's IndexedDB (CDP, which also closes the worker's open connection), then stops the worker. */
async function loseStorage(context: BrowserContext, page: Page, server: TestServer): Promise<void> {
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('Storage.clearDataForOrigin', { origin: server.url, storageTypes: 'indexeddb' });
  } finally {
    await cdp.detach().catch(() => undefined);
  }
  await stopServiceWorkers(context, page);
}

/** POSTs the demo login with plain fetch; the status, error header and the keys of the JSON the page got. */
function rawLogin(page: Page) {
  return page.evaluate(async () => {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'demo', password: 'demo' }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return {
      status: response.status,
      error: response.headers.get('x-token-broker-error'),
      keys: Object.keys(body).sort(),
    };
  });
}

test('after IndexedDB is cleared and the worker restarted, the tabs restore its config: login captured, tokens attached, no reload', async ({
  context,
  server,
}) => {
  const tabs = [
    await openDemo(context, server, { panelPoll: 0 }),
    await openDemo(context, server, { panelPoll: 0 }),
  ];
  await loginThroughForm(tabs[0]!);
  for (const tab of tabs)
    await tab.evaluate(() => ((globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true));

  await loseStorage(context, tabs[0]!, server);
  expect(await readStoredSession(tabs[1]!)).toEqual({ kind: 'no-database' });
  server.control.reset();

  // The login is the first request the restarted worker sees.
  expect(await rawLogin(tabs[1]!)).toEqual({
    status: 200,
    error: null,
    keys: ['access_token', 'expires_in', 'token_type'],
  });
  expect(await callMe(tabs[0]!, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  expect(await callMe(tabs[1]!, 'axios')).toMatchObject({ user: 'demo', generation: 1 });

  const counters = server.control.counters();
  expect(counters.logins).toBe(1);
  expect(
    counters.requests.filter((r) => r.path === '/api/me').map((r) => [r.authorization, r.status]),
  ).toEqual([
    [true, 200],
    [true, 200],
  ]);
  for (const tab of tabs) {
    expect(
      await tab.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    expect(await brokerCall(tab, 'status')).toMatchObject({
      ok: true,
      value: { loggedIn: true, configured: true, generation: 1 },
    });
  }
  expect(await readStoredSession(tabs[0]!)).toEqual({
    kind: 'session',
    generation: 1,
    complete: true,
    inflight: false,
  });
});

test('with storage lost and no tab to restore the config, a response carrying a refresh token is withheld', async ({
  context,
  server,
}) => {
  const demo = await openDemo(context, server, { panelPoll: 0 });
  // A controlled document without a broker client: nothing can send the config again.
  const bare = await context.newPage();
  await bare.goto(`${server.url}/icon.svg`);
  expect(await bare.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await demo.close();

  await loseStorage(context, bare, server);
  server.control.reset();

  // The worker waits for a config (2 s), then fails closed: the server logged the user in, the page got no token.
  expect(await rawLogin(bare)).toEqual({ status: 503, error: 'not-configured', keys: ['error', 'message'] });
  const counters = server.control.counters();
  expect(counters.logins).toBe(1);
  // Other requests still pass, without a token.
  expect(await bare.evaluate(async () => (await fetch('/api/public/ping')).status)).toBe(200);
  expect(server.control.counters().requestsWithAuth).toBe(0);
});
