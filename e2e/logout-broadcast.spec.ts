// Scenario 4 (issue 6): a logout in tab A reaches tabs B and C within 500 ms, IndexedDB holds no
// session afterwards, and the next API call leaves without a token.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { readStoredSession } from './harness/storage.js';
import { callMe, loginThroughForm, openDemo } from './harness/tabs.js';

test('logout in tab A: B and C told within 500 ms, no session stored, next call carries no token', async ({
  context,
  server,
}) => {
  const a = await openDemo(context, server);
  await loginThroughForm(a);
  const b = await openDemo(context, server);
  const c = await openDemo(context, server);
  const tabs = [a, b, c];
  for (const tab of tabs) {
    expect(await callMe(tab, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
    await recordEvents(tab);
  }
  expect(await readStoredSession(a)).toEqual({
    kind: 'session',
    generation: 1,
    complete: true,
    inflight: false,
  });

  // The timestamp is taken in tab A right before the call; every tab shares one clock (Date.now).
  const loggedOutAt = await a.evaluate(async () => {
    const at = Date.now();
    await (globalThis as unknown as { demo: { broker: { logout(): Promise<void> } } }).demo.broker.logout();
    return at;
  });

  for (const tab of [b, c]) {
    await expect.poll(() => recordedEvents(tab, 'logout'), { timeout: 2_000 }).toHaveLength(1);
    const [event] = await recordedEvents(tab, 'logout');
    expect(event!.reason).toBe('user-logout');
    const latency = event!.at - loggedOutAt;
    test.info().annotations.push({ type: 'logout latency (ms)', description: String(latency) });
    expect(latency, 'ms from the logout call to the tab being told').toBeLessThan(500);
  }
  // Tab A hears the same broadcast (the worker posts it; a channel only skips its own sender).
  await expect
    .poll(() => recordedEvents(a, 'logout'))
    .toEqual([expect.objectContaining({ reason: 'user-logout' })]);

  for (const tab of tabs) expect(await readStoredSession(tab)).toEqual({ kind: 'no-session' });
  await expect.poll(() => server.control.counters().revocations).toBe(1);

  server.control.reset();
  for (const tab of tabs) {
    await expect(callMe(tab, 'fetch')).rejects.toThrow(/401/);
    await expect(callMe(tab, 'axios')).rejects.toThrow(/401/);
  }
  const { requests, refreshCalls, requestsWithAuth } = server.control.counters();
  expect(requests.filter((r) => r.path === '/api/me')).toHaveLength(6);
  expect(requestsWithAuth).toBe(0);
  expect(refreshCalls).toBe(0);
  for (const tab of tabs) await expect(tab.locator('#state')).toHaveText('logged out');
  for (const tab of tabs) expect(await recordedEvents(tab, 'logout')).toHaveLength(1);
});
