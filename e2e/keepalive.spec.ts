// Issue 29 (3): Firefox sends a controlled page's `fetch(url, { keepalive: true })` around its
// service worker, so it reaches the server without the token (docs/platform-facts.md §14);
// Chromium sends it through the worker. `broker.fetch` attaches the token itself where the worker
// will not see the request, and leaves it to the worker where it will (never two tokens).
// Runs in the Firefox project (`e2e/firefox-keepalive.config.ts` until the main config has one)
// and in Chromium.
import { loginThroughForm, openDemo } from './harness/tabs.js';
import { expect, test } from './fixtures.js';

test('a keepalive request through broker.fetch carries the token in every engine; a plain one shows the gap', async ({
  context,
  server,
  browserName,
}) => {
  const tab = await openDemo(context, server, { panelPoll: 0 });
  await loginThroughForm(tab);
  const sent = async (
    call: string,
  ): Promise<Array<{ method: string; authorization: boolean; status: number }>> => {
    const before = server.control.counters().requests.length;
    await tab.evaluate(call);
    return server.control
      .counters()
      .requests.slice(before)
      .filter((r) => r.path === '/api/me')
      .map(({ method, authorization, status }) => ({ method, authorization, status }));
  };
  const brokerFetch = 'globalThis.demo.broker.fetch';
  expect(await tab.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

  // The engine gap itself: a plain keepalive fetch from the controlled page.
  const bypasses = browserName === 'firefox';
  expect(await sent(`fetch('/api/me', { keepalive: true }).then((r) => r.status)`)).toEqual([
    { method: 'GET', authorization: !bypasses, status: bypasses ? 401 : 200 },
  ]);
  // Through broker.fetch: one request, with the token, GET and POST alike.
  expect(await sent(`${brokerFetch}('/api/me', { keepalive: true }).then((r) => r.status)`)).toEqual([
    { method: 'GET', authorization: true, status: 200 },
  ]);
  const post = await sent(
    `${brokerFetch}('/api/me', { method: 'POST', keepalive: true, body: '{"event":"bye"}' }).then((r) => r.status)`,
  );
  expect(post).toHaveLength(1);
  expect(post[0]).toMatchObject({ method: 'POST', authorization: true });
  expect(post[0]?.status).not.toBe(401);
  // A request without keepalive is still the worker's.
  expect(await sent(`${brokerFetch}('/api/me').then((r) => r.status)`)).toEqual([
    { method: 'GET', authorization: true, status: 200 },
  ]);
});
