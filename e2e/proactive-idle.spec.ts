// Issue 5: proactive refresh that survives worker termination. Two tabs stay idle (no app
// requests, no status polling) across three access-token lifetimes while CDP stops the service
// worker in every lifetime before its refresh falls due, as Chromium does to idle workers
// outside DevTools.
// Only the page-side wake-ups can restart the worker in time: the server must see exactly one
// refresh per lifetime, each before the token it replaces expired, and no 401 at all.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import {
  apiRequests,
  oneRefreshPerLifetime,
  onlyFamily,
  refreshSummary,
  refreshTimingViolations,
  requestTrail,
  watchGenerations,
} from './harness/server-counters.js';
import { brokerStatus, loginThroughForm, openDemo } from './harness/tabs.js';
import { stopServiceWorkers } from './harness/worker-control.js';

// Firefox idles the worker out by itself (a 1 s idle timeout), as browsers do outside tests.
test.use({ idleStops: true });

const TTL_S = 6;
/** Refresh lead: due at expiry − min(lead, lifetime / 4) = 1.5 s before expiry, the margin a restarted worker has on a loaded machine. */
const LEAD_S = 1.5;
const LIFETIMES = 3;

test.use({ serverOptions: { accessTtlSeconds: TTL_S } });

test(`idle tabs, worker stopped every lifetime: one refresh per lifetime before expiry, zero 401s (${LIFETIMES} lifetimes)`, async ({
  context,
  server,
}) => {
  // `panelPoll: 0`: the demo panel's 1 s status poll would be a worker event doing the proactive
  // check itself and hide a broken wake-up.
  const tabs = [
    await openDemo(context, server, { lead: LEAD_S, panelPoll: 0 }),
    await openDemo(context, server, { lead: LEAD_S, panelPoll: 0 }),
  ];
  for (const tab of tabs) await recordEvents(tab);

  const watch = watchGenerations(server);
  await loginThroughForm(tabs[0]!);
  await expect.poll(() => brokerStatus(tabs[1]!).then((s) => s.loggedIn)).toBe(true);

  for (let lifetime = 1; lifetime <= LIFETIMES; lifetime++) {
    // Kill the worker once this lifetime's session is stored and the follow-up calls it caused
    // are over, but well before the refresh is due (3 s is ample for the stop itself): from then
    // on no event reaches the worker, so a timer inside it could not do the refresh, only a
    // page-side wake-up that starts a fresh worker.
    let stoppedInstance = '';
    await expect
      .poll(
        async () => {
          const status = await brokerStatus(tabs[1]!);
          stoppedInstance = status.workerInstance;
          return status.refreshDueIn;
        },
        { intervals: [100] },
      )
      .toBeLessThanOrEqual(3000);
    await stopServiceWorkers(context, tabs[0]!);
    // Time is the subject: nothing happens until the refresh falls due, ~4.5 s after the last one.
    await expect
      .poll(() => onlyFamily(server.control.counters()).generation, {
        timeout: 3 * TTL_S * 1000,
        intervals: [50],
      })
      .toBe(lifetime + 1);
    for (const tab of tabs) {
      await expect.poll(async () => (await recordedEvents(tab, 'refreshed')).length).toBe(lifetime);
    }
    // The refresh was done by a worker started after the stop.
    expect((await brokerStatus(tabs[1]!)).workerInstance).not.toBe(stoppedInstance);
  }
  const seen = watch.stop();
  const counters = server.control.counters();

  expect(refreshSummary(counters), requestTrail(counters)).toEqual(oneRefreshPerLifetime(LIFETIMES));
  // Idle: the server saw no API request at all, only the login and the refreshes.
  expect(apiRequests(counters)).toEqual([]);

  expect(seen.map((s) => s.generation)).toEqual([1, 2, 3, 4]);
  expect(refreshTimingViolations(seen, TTL_S * 1000, LEAD_S * 1000)).toEqual([]);
  for (const tab of tabs) {
    expect(await recordedEvents(tab, 'logout')).toEqual([]);
    expect((await recordedEvents(tab, 'refreshed')).map((e) => e.trigger)).toEqual(
      Array(LIFETIMES).fill('proactive'),
    );
  }
});
