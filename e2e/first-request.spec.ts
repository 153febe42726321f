import { expect, test } from './fixtures.js';
import { callMe, loginThroughForm, openDemo } from './harness/tabs.js';

test('login, then /api/me through plain fetch and plain axios carries the bearer token', async ({
  context,
  server,
}) => {
  const page = await openDemo(context, server);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await loginThroughForm(page);

  // The worker captured the login: the page got the response without the refresh token.
  const leaked = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage));
  expect(leaked).not.toContain('refresh');

  server.control.reset();
  expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  expect(await callMe(page, 'axios')).toMatchObject({ user: 'demo', generation: 1 });

  const me = server.control.counters().requests.filter((r) => r.path === '/api/me');
  expect(me).toHaveLength(2);
  expect(me.every((r) => r.authorization && r.status === 200 && r.generation === 1)).toBe(true);
  expect(server.control.counters().unauthorized).toBe(0);
});

test('a request to another origin carries no Authorization header', async ({
  context,
  server,
  foreignServer,
}) => {
  const page = await openDemo(context, server);
  await loginThroughForm(page);
  // A CORS request the worker could have touched. The foreign server sends no CORS headers,
  // so the page sees a network error; what matters is what the server received.
  await page.evaluate((url) => fetch(`${url}/api/me`).catch(() => undefined), foreignServer.url);
  const seen = foreignServer.control.counters();
  expect(seen.requests.filter((r) => r.path === '/api/me')).toHaveLength(1);
  expect(seen.requestsWithAuth).toBe(0);
  expect(seen.requestsWithoutAuth).toBeGreaterThan(0);
});

test('a refused worker config rejects registration with invalid-config and leaves the stored config and session alone', async ({
  context,
  server,
}) => {
  const good = await openDemo(context, server);
  await loginThroughForm(good);

  // `attempts=0` makes the demo pass maxRefreshAttempts: 0 (demo/config.ts).
  const bad = await context.newPage();
  await bad.goto(`${server.url}/?attempts=0`);
  const events = (): Promise<string[]> =>
    bad.evaluate(() => [...document.querySelectorAll('#log li')].map((li) => li.textContent ?? ''));
  await expect
    .poll(events)
    .toContainEqual(expect.stringContaining('startup failed (invalid-config): maxRefreshAttempts'));
  expect(await bad.evaluate(() => document.body.dataset.ready)).toBeUndefined();

  // The worker kept the config it had and the session: the other tab is still logged in.
  server.control.reset();
  expect(await callMe(good, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  const status = await good.evaluate(async () => {
    const demo = (
      globalThis as unknown as {
        demo: { broker: { status(): Promise<{ loggedIn: boolean; configured: boolean }> } };
      }
    ).demo;
    return demo.broker.status();
  });
  expect(status).toMatchObject({ loggedIn: true, configured: true });
  expect(server.control.counters()).toMatchObject({ refreshCalls: 0, logins: 0, unauthorized: 0 });
});
