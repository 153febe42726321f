// Issue 27 item 3: the login endpoint is captured whatever headers the request carries. A login
// sent with `Authorization: Basic` (client credentials) used to pass the "respect existing
// Authorization" rule first: the page got the refresh token and the worker stored nothing.
import { callMe, openDemo } from './demo.js';
import { expect, test } from './fixtures.js';

test('a login carrying Authorization: Basic is captured: no refresh token in the page, later API calls carry the token', async ({ context, server }) => {
  const page = await openDemo(context, server);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  server.control.reset();

  const answer = await page.evaluate(async () => {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${btoa('demo-client:')}` },
      body: JSON.stringify({ username: 'demo', password: 'demo' }),
    });
    return { status: response.status, marker: response.headers.get('x-token-broker-error'), text: await response.text() };
  });
  expect(answer.status).toBe(200);
  expect(answer.marker).toBeNull();
  expect(answer.text).not.toContain('refresh_token');
  expect(JSON.parse(answer.text)).toMatchObject({ access_token: expect.any(String), expires_in: expect.any(Number) });

  // The login went out as the page sent it (Basic header included), once.
  const logins = server.control.counters().requests.filter((r) => r.path === '/api/auth/login');
  expect(logins).toEqual([expect.objectContaining({ method: 'POST', authorization: true, status: 200 })]);
  expect(server.control.counters().logins).toBe(1);

  // The worker holds the session: API calls carry the captured access token.
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as { demo: { broker: { status(): Promise<{ loggedIn: boolean }> } } }).demo.broker.status().then((s) => s.loggedIn))).toBe(true);
  server.control.reset();
  expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  expect(await callMe(page, 'axios')).toMatchObject({ user: 'demo', generation: 1 });
  const me = server.control.counters().requests.filter((r) => r.path === '/api/me');
  expect(me).toEqual([
    expect.objectContaining({ authorization: true, generation: 1, status: 200 }),
    expect.objectContaining({ authorization: true, generation: 1, status: 200 }),
  ]);
  expect(server.control.counters()).toMatchObject({ unauthorized: 0, refreshCalls: 0 });
});
