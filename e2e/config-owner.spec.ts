// One owner for the standalone worker's config (issue 28): a tab with another config (an older
// bundle, another page of the app) never silently replaces the config of a logged-in tab; a newer
// `configVersion` does, and the tabs on the old config are told. Login capture is never turned
// off silently.
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { brokerCall, callMe, type DemoQuery, loginKeys, loginThroughForm, openDemo } from './harness/tabs.js';

/** Opens the demo with `query` and resolves with the startup failure the page logged. */
async function openRefused(
  context: BrowserContext,
  server: TestServer,
  query: DemoQuery,
): Promise<{ page: Page; failure: string }> {
  const page = await context.newPage();
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  await page.goto(`${server.url}/?${search}`);
  const failures = (): Promise<string[]> =>
    page.evaluate(() =>
      [...document.querySelectorAll('#log li')]
        .map((li) => li.textContent ?? '')
        .filter((t) => t.includes('startup failed')),
    );
  await expect.poll(failures).toHaveLength(1);
  expect(await page.evaluate(() => document.body.dataset.ready)).toBeUndefined();
  return { page, failure: (await failures())[0]! };
}

// The config a tab of another deployment sends: no login capture, and /api/me without the token.
const WEAKER: DemoQuery = { capture: 0, exclude: '/api/me' };

test('a tab with a weaker config of the same version is refused; the logged-in tab keeps its behaviour', async ({
  context,
  server,
}) => {
  const a = await openDemo(context, server);
  await loginThroughForm(a);
  await recordEvents(a);

  const b = await openRefused(context, server, WEAKER);
  expect(b.failure).toContain('(config-conflict)');
  expect(b.failure).toContain('turn login capture off');
  await b.page.close();

  server.control.reset();
  expect(await callMe(a, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  expect(
    server.control
      .counters()
      .requests.filter((r) => r.path === '/api/me')
      .map((r) => r.authorization),
  ).toEqual([true]);

  // Logged out, the weaker config is still refused: login capture is never turned off silently.
  expect(await brokerCall(a, 'logout')).toMatchObject({ ok: true });
  expect((await openRefused(context, server, WEAKER)).failure).toContain('(config-conflict)');
  expect(await loginKeys(a)).toEqual(['access_token', 'expires_in', 'token_type']);
  expect(await brokerCall(a, 'status')).toMatchObject({
    ok: true,
    value: { loggedIn: true, configured: true },
  });
  expect(server.control.counters().logins).toBe(1);
  expect(await recordedEvents(a, 'error')).toEqual([]);
});

test('a newer configVersion replaces the config, and the tab on the old one is told', async ({
  context,
  server,
}) => {
  const a = await openDemo(context, server);
  await loginThroughForm(a);
  await recordEvents(a);

  // The new deployment (version 2) excludes /api/me from the token; it keeps login capture.
  const b = await openDemo(context, server, { configVersion: 2, exclude: '/api/me' });
  await expect
    .poll(() => recordedEvents(a, 'error'))
    .toEqual([expect.objectContaining({ code: 'config-conflict' })]);

  // The old bundle opened again is refused: version 0 is older than the worker's 2.
  const old = await openRefused(context, server, {});
  expect(old.failure).toMatch(/config-conflict.*older/);

  server.control.reset();
  await expect(callMe(b, 'fetch')).rejects.toThrow(/401/);
  expect(
    server.control
      .counters()
      .requests.filter((r) => r.path === '/api/me')
      .map((r) => r.authorization),
  ).toEqual([false]);
  // Still captured under the new owner: no refresh token in page JavaScript.
  expect(await loginKeys(b)).toEqual(['access_token', 'expires_in', 'token_type']);
  expect(await recordedEvents(a, 'error')).toHaveLength(1);
});
