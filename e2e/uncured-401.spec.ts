// Issue 24: a 401 that a fresh token does not cure never buys another refresh. `/api/forbidden`
// (test-only on the demo server) answers 401 to every token, like an API that says 401 where
// 403 belongs; a screen polling it must not spend a refresh-token grant per poll.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { callMe, loginThroughForm, openDemo } from './harness/tabs.js';

type Outcome = { status: number; marker: string | null };

test('an always-401 path hit 20 times in sequence and 20 times in parallel costs at most one refresh; a healthy path keeps working', async ({
  context,
  server,
}) => {
  const tab = await openDemo(context, server, { panelPoll: 0 });
  await recordEvents(tab);
  await loginThroughForm(tab);
  server.control.reset();

  const sequential = await tab.evaluate(async () => {
    const out: Array<{ forbidden: Outcome; healthy: number }> = [];
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`/api/forbidden?i=${i}`);
      const healthy = await fetch('/api/me');
      out.push({
        forbidden: { status: r.status, marker: r.headers.get('x-token-broker-error') },
        healthy: healthy.status,
      });
    }
    return out;
  });
  const parallel = await tab.evaluate(() =>
    Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`/api/forbidden?p=${i}`).then((r) => ({
          status: r.status,
          marker: r.headers.get('x-token-broker-error'),
        })),
      ),
    ),
  );

  expect(sequential.map((s) => s.healthy)).toEqual(Array(20).fill(200));
  expect(sequential.every((s) => s.forbidden.status === 401)).toBe(true);
  // The first 401 bought the one refresh; its replay's 401 went to the page as the server sent it.
  expect(sequential[0]!.forbidden.marker).toBeNull();
  expect(sequential.slice(1).map((s) => s.forbidden.marker)).toEqual(
    Array(19).fill('unauthorized-after-refresh'),
  );
  expect(parallel).toEqual(Array(20).fill({ status: 401, marker: 'unauthorized-after-refresh' }));

  const counters = server.control.counters();
  expect(counters.refreshCalls).toBeLessThanOrEqual(1);
  expect(counters).toMatchObject({ reuseDetections: 0, invalidGrants: 0 });
  // What the server saw on the always-401 path: 20 + 20 first attempts and the one replay.
  expect(counters.requests.filter((r) => r.path === '/api/forbidden')).toHaveLength(41);
  expect(await callMe(tab, 'axios')).toMatchObject({ user: 'demo' });
  expect(await recordedEvents(tab, 'logout')).toEqual([]);
});
