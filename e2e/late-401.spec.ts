// Scenario 11 (issue 6): slow requests sent with the old token come back 401 only after a
// refresh has finished. The worker must see that the token already moved on and replay them
// with the new one: no second refresh.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { onlyFamily } from './harness/server-counters.js';
import { brokerStatus, loginThroughForm, openDemo } from './harness/tabs.js';

/** Lifetime of the first access token; the proactive refresh is due 1 s before it ends. */
const FIRST_TTL_S = 4;
const LEAD_S = 1;
/**
 * `/api/slow` checks the token when it answers (`validate=end`), 5 s after it arrived: always
 * after the first token expired, even for a request sent right at login.
 */
const SLOW_MS = 5000;

test.use({ serverOptions: { accessTtlSeconds: FIRST_TTL_S } });

test('slow requests on the old token get a late 401 after the refresh: replayed with the new token, no second refresh', async ({
  context,
  server,
}) => {
  const tabs = [
    await openDemo(context, server, { lead: LEAD_S, panelPoll: 0 }),
    await openDemo(context, server, { lead: LEAD_S, panelPoll: 0 }),
  ];
  for (const tab of tabs) await recordEvents(tab);
  await loginThroughForm(tabs[0]!);
  // Tokens minted from now on live long, so the replays cannot expire while they are slow.
  server.control.configure({ accessTtlSeconds: 60 });
  await expect.poll(() => brokerStatus(tabs[1]!).then((s) => s.loggedIn)).toBe(true);
  server.control.reset();

  // Two tabs, plain fetch and axios: four slow requests on generation 1, whose token expires
  // while they wait. The proactive refresh (due 3 s after login) finishes while they wait.
  // Distinct URLs: Chromium's HTTP cache lets only one request per URL be in flight and
  // queues identical ones behind it.
  const slow = tabs.flatMap((tab, t) =>
    (['fetch', 'axios'] as const).map((via) =>
      tab.evaluate(
        async ({ via, ms, n }) => {
          const demo = (
            globalThis as unknown as {
              demo: { api: { get(url: string): Promise<{ data: { generation: number } }> } };
            }
          ).demo;
          const url = `/api/slow?ms=${ms}&validate=end&n=${n}`;
          const sentAt = Date.now();
          if (via === 'axios')
            return {
              sentAt,
              status: 200,
              generation: (await demo.api.get(url.slice('/api'.length))).data.generation,
            };
          const response = await fetch(url);
          return {
            sentAt,
            status: response.status,
            generation: ((await response.json()) as { generation?: number }).generation,
          };
        },
        { via, ms: SLOW_MS, n: `${t}-${via}` },
      ),
    ),
  );
  const results = await Promise.all(slow);

  for (const r of results) expect(r).toMatchObject({ status: 200, generation: 2 });

  // The one refresh was the proactive one (not caused by a 401), over before any 401 came back.
  const [refreshed, ...more] = await recordedEvents(tabs[0]!, 'refreshed');
  expect(more).toEqual([]);
  expect(refreshed).toMatchObject({ trigger: 'proactive', generation: 2 });
  const records = server.control.counters().requests.filter((r) => r.path === '/api/slow');
  // First attempts: generation 1 was still valid when they arrived, expired when answered.
  expect(records.filter((r) => r.status === 401 && r.generation === 1)).toHaveLength(4);
  expect(records.filter((r) => r.status === 200)).toHaveLength(4);
  expect(records).toHaveLength(8);
  // No first attempt was answered before `sentAt + SLOW_MS`; the refresh was stored before that.
  expect(refreshed!.at).toBeLessThan(Math.min(...results.map((r) => r.sentAt)) + SLOW_MS);

  const counters = server.control.counters();
  expect(counters.refreshCalls).toBe(1);
  expect(counters.rotations).toBe(1);
  expect(counters.reuseDetections).toBe(0);
  expect(counters.unauthorized).toBe(4);
  expect(onlyFamily(counters).generation).toBe(2);
  for (const tab of tabs) expect(await recordedEvents(tab, 'logout')).toEqual([]);
});
