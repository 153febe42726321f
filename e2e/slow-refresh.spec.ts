// Issue 22: a refresh token is sent again only when the request that carried it can no longer be
// answered. The token endpoint here takes longer than the callers' refresh timeout (an overloaded
// identity provider): callers stop waiting, the request runs on, and its late answer is used.
// User actions (logout, a new login) never wait for such a refresh.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { readStoredSession } from './harness/storage.js';
import { onlyFamily } from './harness/server-counters.js';
import { startStorm, stopStorm } from './harness/traffic.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';

const TTL_S = 4;
/** The one slow refresh: well past the callers' 1 s timeout, and past the token's expiry. */
const SLOW_MS = 4_000;
const QUERY = { lead: 1, refreshTimeout: 1, panelPoll: 0 };

test.describe('a refresh slower than the refresh timeout', () => {
  test.use({ serverOptions: { accessTtlSeconds: TTL_S } });

  test('one tab: one request carries the token, callers time out meanwhile, the late answer is used', async ({
    context,
    server,
  }) => {
    const tab = await openDemo(context, server, QUERY);
    await recordEvents(tab);
    server.control.injectRefreshFaults([{ kind: 'slow', ms: SLOW_MS }]);
    await loginThroughForm(tab);
    // The proactive refresh falls due 1 s before expiry and hangs on the server.
    await expect.poll(() => server.control.counters().refreshCalls, { timeout: 10_000 }).toBe(1);
    expect(await readStoredSession(tab)).toMatchObject({ kind: 'session', generation: 1, inflight: true });

    // An explicit refresh meanwhile: the caller gives up after its timeout, nothing is sent again.
    const explicit = await brokerCall(tab, 'refresh');
    expect(explicit).toMatchObject({ ok: false, code: 'refresh-unavailable' });
    expect(explicit.ms).toBeLessThan(5_000);
    expect(server.control.counters().refreshCalls).toBe(1);

    // A request after the token expired waits for the late answer and succeeds with it.
    expect(await callMe(tab, 'fetch')).toMatchObject({ user: 'demo', generation: 2 });
    await expect
      .poll(() => recordedEvents(tab, 'refreshed'))
      .toEqual([expect.objectContaining({ generation: 2 })]);
    const counters = server.control.counters();
    expect(counters).toMatchObject({
      refreshCalls: 1,
      rotations: 1,
      reuseDetections: 0,
      graceReuses: 0,
      invalidGrants: 0,
    });
    expect(onlyFamily(counters)).toMatchObject({ refreshCalls: 1, revoked: false });
    expect(await recordedEvents(tab, 'logout')).toEqual([]);
    expect(await readStoredSession(tab)).toEqual({
      kind: 'session',
      generation: 2,
      complete: true,
      inflight: false,
    });
  });

  test('three tabs under load: exactly one request carries the token, no failed request, no logout', async ({
    context,
    server,
  }) => {
    // Every tab records before the login: opening tabs after it raced the slow refresh's answer
    // (due 3 s after the login, answered 4 s later), which a loaded machine can lose.
    const tabs = [];
    for (let i = 0; i < 3; i++) tabs.push(await openDemo(context, server, QUERY));
    for (const tab of tabs) await recordEvents(tab);
    server.control.injectRefreshFaults([{ kind: 'slow', ms: SLOW_MS }]);
    await loginThroughForm(tabs[0]!);
    for (const tab of tabs) await startStorm(tab, { burst: 4, pauseMs: 50, via: ['fetch', 'axios'] });
    await expect.poll(() => server.control.counters().refreshCalls, { timeout: 10_000 }).toBe(1);
    // Requests keep coming through the token's expiry while the answer is held: they wait for it.
    await expect.poll(() => server.control.counters().rotations, { timeout: 15_000 }).toBe(1);
    for (const tab of tabs)
      await expect
        .poll(() => recordedEvents(tab, 'refreshed'))
        .toEqual([expect.objectContaining({ generation: 2 })]);
    const results = [];
    for (const tab of tabs) results.push(await stopStorm(tab));
    for (const [i, r] of results.entries()) {
      expect(r.failed, `tab ${i}: ${r.errors.join('; ')}`).toBe(0);
      expect(r.ok).toBeGreaterThan(0);
    }
    const family = onlyFamily(server.control.counters());
    // The slow token was carried by one request; any later refresh is a new token's (later lifetimes).
    expect(server.control.counters()).toMatchObject({ reuseDetections: 0, graceReuses: 0, invalidGrants: 0 });
    expect(family.refreshCalls).toBe(family.rotations);
    for (const tab of tabs) {
      expect(await recordedEvents(tab, 'logout')).toEqual([]);
      expect(await callMe(tab, 'axios')).toMatchObject({ user: 'demo' });
    }
  });
});

test.describe('user actions never wait for a refresh', () => {
  test('logout and a new login each complete within 1 s; the late answer resurrects nothing and its token is revoked', async ({
    context,
    server,
  }) => {
    const [a, b] = [await openDemo(context, server, QUERY), await openDemo(context, server, QUERY)];
    await loginThroughForm(a);
    for (const tab of [a, b]) await recordEvents(tab);
    const first = onlyFamily(server.control.counters());
    // The server rotates at once but holds the answer: the new refresh token is on its way.
    server.control.setRefreshLatency({ afterMs: 5_000 });
    const slow = brokerCall(a, 'refresh');
    await expect.poll(() => server.control.counters().rotations).toBe(1);

    const logout = await brokerCall(b, 'logout');
    expect(logout).toMatchObject({ ok: true });
    expect(logout.ms).toBeLessThan(1_000);
    for (const tab of [a, b])
      await expect
        .poll(() => recordedEvents(tab, 'logout'))
        .toEqual([expect.objectContaining({ reason: 'user-logout' })]);

    const started = Date.now();
    await loginThroughForm(b);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await slow).toMatchObject({ ok: false, code: 'refresh-unavailable' });

    // The late answer arrives: discarded, and its (rotated) refresh token revoked at the server.
    await expect
      .poll(() => server.control.counters().requests.filter((r) => r.path === '/api/auth/revoke').length, {
        timeout: 10_000,
      })
      .toBe(2);
    server.control.setRefreshLatency({});
    const families = server.control.counters().families;
    const [firstId] = Object.keys(families);
    expect(families[firstId!]).toMatchObject({ revoked: true, rotations: 1 });
    const second = Object.entries(families).find(([id]) => id !== firstId)![1];
    expect(second).toMatchObject({ revoked: false, generation: 1 });
    expect(first.generation).toBe(1);
    for (const tab of [a, b]) {
      expect(await callMe(tab, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
      expect(await recordedEvents(tab, 'logout')).toHaveLength(1);
      expect(await recordedEvents(tab, 'refreshed')).toEqual([]);
    }
    expect(await readStoredSession(a)).toEqual({
      kind: 'session',
      generation: 1,
      complete: true,
      inflight: false,
    });
  });
});
