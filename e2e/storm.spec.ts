// Scenario 1 (issue 6): three tabs fire bursts of concurrent requests, plain fetch and axios
// mixed, across four access-token lifetimes with proactive refresh on. The server must see
// exactly one refresh per lifetime, each one before the token it replaces expired, no reuse,
// no 401 and no failed request; no tab hears of a logout.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import {
  apiRequests,
  oneRefreshPerLifetime,
  refreshSummary,
  refreshTimingViolations,
  requestTrail,
  watchGenerations,
} from './harness/server-counters.js';
import { startStorm, stormAcrossLifetimes } from './harness/traffic.js';
import { loginThroughForm, openDemo } from './harness/tabs.js';

const TTL_S = 6;
/**
 * Refresh lead: due at expiry − min(lead, lifetime / 4) = 1.5 s before expiry, the margin a
 * request sent just before the refresh has to reach the server through Chromium's 6-connection
 * queue on a loaded machine.
 */
const LEAD_S = 1.5;
const LIFETIMES = 4;

test.use({ serverOptions: { accessTtlSeconds: TTL_S } });

test(`storm: 3 tabs, fetch + axios bursts across ${LIFETIMES} lifetimes → one refresh per lifetime, no reuse, no 401, no failure`, async ({
  context,
  server,
}) => {
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await openDemo(context, server, { lead: LEAD_S }));
  for (const tab of tabs) await recordEvents(tab);

  const watch = watchGenerations(server);
  await loginThroughForm(tabs[0]!);
  await Promise.all(tabs.map((tab) => startStorm(tab, { burst: 8, via: ['fetch', 'axios'] })));

  // Time is the subject; no request failed, and every tab really took part.
  const storms = await stormAcrossLifetimes(server, tabs, LIFETIMES, TTL_S, LIFETIMES * 8);
  const seen = watch.stop();
  const counters = server.control.counters();

  // Exactly one refresh per lifetime: every call rotated, each generation was exchanged once.
  // Proactive: never a 401.
  expect(refreshSummary(counters), requestTrail(counters)).toEqual(oneRefreshPerLifetime(LIFETIMES));
  // Every API request carried a valid token and succeeded.
  const api = apiRequests(counters, '/api/me');
  expect(api.length).toBe(storms.reduce((n, s) => n + s.ok, 0));
  expect(api.filter((r) => !r.authorization || r.generation === null || r.status !== 200)).toEqual([]);

  // Each refresh happened before the token it replaced expired, and not before it was due.
  expect(seen.map((s) => s.generation)).toEqual([1, 2, 3, 4, 5]);
  expect(refreshTimingViolations(seen, TTL_S * 1000, LEAD_S * 1000)).toEqual([]);

  for (const tab of tabs) expect(await recordedEvents(tab, 'logout')).toEqual([]);
});
