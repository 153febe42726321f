// Two apps on one origin (issue 13): each registers the prebuilt sw.js under its own scope and
// broker name, so each has its own worker, database, broadcast channel, refresh lock and leader
// lock. One app's logout, refresh and slow token call never reach the other.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { readStoredSession } from './harness/storage.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';
import { stopServiceWorkers } from './harness/worker-control.js';

const familyOf = (counters: {
  families: Record<string, { generation: number; refreshCalls: number; rotations: number; revoked: boolean }>;
}) => Object.values(counters.families);

/** Scope and script of the registration controlling the page, and the Web Locks held on the origin. */
function registrationView(page: Page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration(location.href);
    const locks = await navigator.locks.query();
    return {
      scope: new URL(registration!.scope).pathname,
      controller:
        new URL(navigator.serviceWorker.controller!.scriptURL).pathname +
        new URL(navigator.serviceWorker.controller!.scriptURL).search,
      held: (locks.held ?? []).map((l) => l.name).sort(),
    };
  });
}

// Firefox idles B's worker out (a 1 s idle timeout): no status polling, so the workers can go quiet.
test.use({ idleStops: true });

test('two apps on one origin: logout, refresh events and storage stay with their own app', async ({
  context,
  server,
}) => {
  const a = await openDemo(context, server, { panelPoll: 0 }, 'a');
  const b = await openDemo(context, server, { panelPoll: 0 }, 'b');
  // The name, then the route scope of the app's config (shared/route-scope.ts).
  const scoped = (name: string): string => `/sw.js?name=${name}&api=%2Fapi%2F&login=%2Fapi%2Fauth%2Flogin`;
  expect(await registrationView(a)).toMatchObject({ scope: '/apps/a/', controller: scoped('a') });
  const view = await registrationView(b);
  expect(view).toMatchObject({ scope: '/apps/b/', controller: scoped('b') });
  // Each app has its own proactive-refresh leader.
  expect(view.held).toEqual(expect.arrayContaining(['a:leader', 'b:leader']));

  await loginThroughForm(a);
  await loginThroughForm(b);
  for (const tab of [a, b]) await recordEvents(tab);
  expect(server.control.counters().logins).toBe(2);

  // A refresh in app A rotates A's token family only, and only A hears it.
  expect(await brokerCall(a, 'refresh')).toMatchObject({ ok: true, value: { generation: 2 } });
  await expect.poll(() => recordedEvents(a, 'refreshed')).toHaveLength(1);
  expect(
    familyOf(server.control.counters())
      .map((f) => f.rotations)
      .sort(),
  ).toEqual([0, 1]);

  // App A logs out: B keeps its session in memory, in its own database, and at the server.
  await a.evaluate(() =>
    (globalThis as unknown as { demo: { broker: { logout(): Promise<void> } } }).demo.broker.logout(),
  );
  await expect.poll(() => recordedEvents(a, 'logout')).toHaveLength(1);
  expect(await readStoredSession(a, 'a')).toEqual({ kind: 'no-session' });
  expect(await readStoredSession(b, 'b')).toEqual({
    kind: 'session',
    generation: 1,
    complete: true,
    inflight: false,
  });
  // The default broker's database was never created: nothing is shared by name.
  expect(await readStoredSession(b)).toEqual({ kind: 'no-database' });

  server.control.reset();
  await expect(callMe(a, 'fetch')).rejects.toThrow(/401/);
  expect(await callMe(b, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  // B's worker restarted reads B's session back: the logout did not reach it.
  const before = await brokerCall(b, 'status');
  await stopServiceWorkers(context, b);
  expect(await callMe(b, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
  const after = await brokerCall(b, 'status');
  type Instance = { value: { workerInstance: string } };
  expect((after as Instance).value.workerInstance).not.toBe((before as Instance).value.workerInstance);
  const me = server.control.counters().requests.filter((r) => r.path === '/api/me');
  expect(me.map((r) => [r.authorization, r.status])).toEqual([
    [false, 401],
    [true, 200],
    [true, 200],
  ]);

  // B heard nothing of A: no logout, no refresh.
  expect(await recordedEvents(b, 'logout')).toEqual([]);
  expect(await recordedEvents(b, 'refreshed')).toEqual([]);
  expect(await brokerCall(b, 'status')).toMatchObject({ ok: true, value: { loggedIn: true, generation: 1 } });
});

test('one app’s hanging refresh does not hold the other’s: each app has its own refresh lock', async ({
  context,
  server,
}) => {
  // A's refresh attempt may take 30 s, so A holds its refresh lock for the whole test; B keeps the
  // defaults (it gives up on a lock after 15 s, and its client call after 2 × 10 s).
  const a = await openDemo(context, server, { panelPoll: 0, refreshTimeout: 30 }, 'a');
  const b = await openDemo(context, server, { panelPoll: 0 }, 'b');
  await loginThroughForm(a);
  await loginThroughForm(b);
  server.control.reset();

  // A's next refresh call reaches the server and gets no answer (until A's attempt times out, 30 s).
  server.control.injectRefreshFaults([{ kind: 'hang' }]);
  await a.evaluate(() => {
    const g = globalThis as unknown as {
      demo: { broker: { refresh(): Promise<unknown> } };
      __aRefresh?: string;
    };
    g.__aRefresh = 'pending';
    g.demo.broker.refresh().then(
      () => (g.__aRefresh = 'done'),
      () => (g.__aRefresh = 'failed'),
    );
  });
  await expect.poll(() => server.control.counters().refreshCalls).toBe(1);

  // B refreshes to completion while A still holds its own lock (with one shared lock B would wait for A).
  expect(await brokerCall(b, 'refresh')).toMatchObject({ ok: true, value: { generation: 2 } });
  expect(await a.evaluate(() => (globalThis as unknown as { __aRefresh?: string }).__aRefresh)).toBe(
    'pending',
  );
  const counters = server.control.counters();
  expect(counters.refreshCalls).toBe(2);
  expect(counters.rotations).toBe(1);
  expect(counters.reuseDetections).toBe(0);
  expect(
    familyOf(counters)
      .map((f) => [f.refreshCalls, f.rotations])
      .sort(),
  ).toEqual([
    [1, 0],
    [1, 1],
  ]);
});
