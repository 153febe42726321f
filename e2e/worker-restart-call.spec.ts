// Issue 4: page-client calls survive a worker the browser stopped (docs/platform-facts.md §2, §3), and a
// logout in one tab reaches the others, also right after such a restart.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';
import { stopServiceWorkers } from './harness/worker-control.js';

// Firefox idles the worker out (a 1 s idle timeout): the tabs stay quiet while it stops.
test.use({ idleStops: true });

type Status = { loggedIn: boolean; generation: number; workerInstance: string };

test('after the browser stops the worker, the next status() and getAccessToken() succeed within 2 s', async ({
  context,
  server,
}) => {
  const page = await openDemo(context, server, { panelPoll: 0 });
  await loginThroughForm(page);
  const before = await brokerCall(page, 'status');
  expect(before.ok).toBe(true);
  const instanceBefore = (before as { value: Status }).value.workerInstance;

  await stopServiceWorkers(context, page);
  const status = await brokerCall(page, 'status');
  expect(status, JSON.stringify(status)).toMatchObject({
    ok: true,
    value: { loggedIn: true, generation: 1 },
  });
  expect(status.ms).toBeLessThan(2_000);
  // A new worker instance answered: the call really crossed a restart.
  expect((status as { value: Status }).value.workerInstance).not.toBe(instanceBefore);

  await stopServiceWorkers(context, page);
  const token = await brokerCall(page, 'getAccessToken');
  expect(token, JSON.stringify(token)).toMatchObject({ ok: true });
  expect(token.ms).toBeLessThan(2_000);

  // The restarted worker still attaches the session it loaded from IndexedDB; nothing refreshed.
  server.control.reset();
  expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  const counters = server.control.counters();
  expect(counters).toMatchObject({ refreshCalls: 0, logins: 0, unauthorized: 0 });
});

test('logout in one tab reaches two others, also right after the worker was stopped', async ({
  context,
  server,
}) => {
  const tabs = [await openDemo(context, server, { panelPoll: 0 })];
  await loginThroughForm(tabs[0]!);
  tabs.push(
    await openDemo(context, server, { panelPoll: 0 }),
    await openDemo(context, server, { panelPoll: 0 }),
  );
  for (const tab of tabs) await recordEvents(tab);

  const before = await brokerCall(tabs[0]!, 'status');
  await stopServiceWorkers(context, tabs[0]!);
  const logout = await brokerCall(tabs[2]!, 'logout');
  expect(logout, JSON.stringify(logout)).toMatchObject({ ok: true });
  expect(logout.ms).toBeLessThan(2_000);
  const after = await brokerCall(tabs[1]!, 'status');
  // A new worker instance took the logout: it really crossed a restart.
  expect((after as { value: Status }).value.workerInstance).not.toBe(
    (before as { value: Status }).value.workerInstance,
  );

  for (const tab of tabs) {
    await expect
      .poll(() => recordedEvents(tab, 'logout'), { timeout: 2_000 })
      .toEqual([expect.objectContaining({ reason: 'user-logout' })]);
    const status = await brokerCall(tab, 'status');
    expect(status).toMatchObject({ ok: true, value: { loggedIn: false } });
  }
  expect(server.control.counters()).toMatchObject({ revocations: 1, refreshCalls: 0 });
});
