// Issue 23: a request belongs to the login that issued it. A request is sent, and replayed, only
// with a token of the login that was current when it reached the broker: never under the next
// login (on a shared device, possibly another person's).
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { brokerCall, loginThroughForm, openDemo } from './harness/tabs.js';

/** Sends a POST from the page without awaiting it; `settle()` resolves with its status and marker. */
async function startPost(
  page: Page,
  url: string,
): Promise<() => Promise<{ status: number; marker: string | null }>> {
  await page.evaluate((url) => {
    const g = globalThis as unknown as { __post?: Promise<{ status: number; marker: string | null }> };
    g.__post = fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"amount":100}',
    }).then((r) => ({
      status: r.status,
      marker: r.headers.get('x-token-broker-error'),
    }));
  }, url);
  return () =>
    page.evaluate(
      () => (globalThis as unknown as { __post: Promise<{ status: number; marker: string | null }> }).__post,
    );
}

const familyIds = (server: { control: { counters(): { families: Record<string, unknown> } } }) =>
  Object.keys(server.control.counters().families);

test('a held POST answered 401 after logout and a new login is not replayed under the new login', async ({
  context,
  server,
}) => {
  const [a, b] = [
    await openDemo(context, server, { panelPoll: 0 }),
    await openDemo(context, server, { panelPoll: 0 }),
  ];
  await loginThroughForm(a);
  const [firstFamily] = familyIds(server);
  // The server holds the POST 3 s and checks its token only then (validate=end).
  const settle = await startPost(a, '/api/slow?ms=3000&validate=end');
  await expect
    .poll(() => server.control.counters().requests.filter((r) => r.path === '/api/slow').length)
    .toBe(1);
  expect(await brokerCall(b, 'logout')).toMatchObject({ ok: true });
  await loginThroughForm(b);
  const result = await settle();
  expect(result).toEqual({ status: 401, marker: 'session-changed' });

  const slow = server.control.counters().requests.filter((r) => r.path === '/api/slow');
  // One attempt, under the first login; nothing under the second.
  expect(slow).toEqual([expect.objectContaining({ method: 'POST', family: firstFamily, status: 401 })]);
  expect(server.control.counters()).toMatchObject({ refreshCalls: 0 });
});

test.describe('a request waiting for a refresh', () => {
  test.use({ serverOptions: { accessTtlSeconds: 2 } });

  test('is never sent when its session ends and a new login happens meanwhile', async ({
    context,
    server,
  }) => {
    const [a, b] = [
      await openDemo(context, server, { lead: 0, panelPoll: 0 }),
      await openDemo(context, server, { lead: 0, panelPoll: 0 }),
    ];
    for (const tab of [a, b]) await recordEvents(tab);
    // The refresh at expiry hangs 4 s on the server; a POST after expiry waits for it in the worker.
    server.control.injectRefreshFaults([{ kind: 'slow', ms: 4_000 }]);
    await loginThroughForm(a);
    await expect.poll(() => server.control.counters().refreshCalls, { timeout: 10_000 }).toBe(1);
    server.control.configure({ accessTtlSeconds: 60 });
    const settle = await startPost(a, '/api/echo');
    expect(await brokerCall(b, 'logout')).toMatchObject({ ok: true });
    await loginThroughForm(b);
    expect(await settle()).toEqual({ status: 401, marker: 'session-changed' });
    // The POST never reached the server, under either login.
    expect(server.control.counters().requests.filter((r) => r.path === '/api/echo')).toEqual([]);
    expect(await recordedEvents(a, 'logout')).toEqual([expect.objectContaining({ reason: 'user-logout' })]);
  });
});
