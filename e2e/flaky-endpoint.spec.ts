// Issue 5: a flaky token endpoint. The server answers the next three refresh calls with 500:
// the broker backs off and retries, never logs anyone out, recovers as soon as the endpoint is
// healthy again, and the server sees exactly one successful rotation.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { onlyFamily } from './harness/server-counters.js';
import { brokerStatus, callMe, loginThroughForm, openDemo } from './harness/tabs.js';

const TTL_S = 4;
const LEAD_S = 1;
const FAULTS = 3;

test.use({ serverOptions: { accessTtlSeconds: TTL_S } });

test(`${FAULTS} × 500 from the token endpoint: no logout, recovery, exactly one successful rotation`, async ({
  context,
  server,
}) => {
  // Default backoff and attempts (0.5 s doubling, 3 attempts per refresh): the real settings.
  const tabs = [
    await openDemo(context, server, { lead: LEAD_S, panelPoll: 0 }),
    await openDemo(context, server, { lead: LEAD_S, panelPoll: 0 }),
  ];
  for (const tab of tabs) await recordEvents(tab);
  // Queued before the login, so the first refresh cannot slip in ahead of them; a login never
  // takes a refresh fault.
  server.control.injectRefreshFaults(
    Array.from({ length: FAULTS }, () => ({ kind: 'status', status: 500 }) as const),
  );
  await loginThroughForm(tabs[0]!);
  expect(await callMe(tabs[1]!, 'fetch')).toMatchObject({ generation: 1 });

  // Time is the subject: the proactive refresh falls due ~3 s after login, then meets the faults.
  await expect.poll(() => server.control.counters().rotations, { timeout: 20_000, intervals: [50] }).toBe(1);
  const counters = server.control.counters();
  const family = onlyFamily(counters);

  // Three failed calls, then one that rotated; nothing else reached the endpoint.
  expect(counters.refreshCalls).toBe(FAULTS + 1);
  expect(family.refreshCalls).toBe(FAULTS + 1);
  expect(family.generation).toBe(2);
  expect(counters.reuseDetections).toBe(0);
  expect(counters.invalidGrants).toBe(0);
  expect(family.revoked).toBe(false);

  // Every tab learns of the one refresh, nobody of a logout; the session is intact and usable.
  for (const [i, tab] of tabs.entries()) {
    await expect
      .poll(async () => (await recordedEvents(tab, 'refreshed')).map((e) => e.generation))
      .toEqual([2]);
    expect(await recordedEvents(tab, 'logout'), `tab ${i}`).toEqual([]);
    expect(await brokerStatus(tab)).toMatchObject({ loggedIn: true, generation: 2 });
    expect(await callMe(tab, 'fetch')).toMatchObject({ user: 'demo', generation: 2 });
    expect(await callMe(tab, 'axios')).toMatchObject({ user: 'demo', generation: 2 });
  }
  // The failures were reported as transient errors, not as a dead session.
  const errors = await recordedEvents(tabs[0]!, 'error');
  expect(errors.length).toBeGreaterThan(0);
  expect(
    errors.every((e) => e.code === 'refresh-unavailable'),
    JSON.stringify(errors),
  ).toBe(true);

  const after = server.control.counters();
  expect(after.refreshCalls).toBe(FAULTS + 1);
  expect(after.unauthorized).toBe(0);
});
