// The core scenarios in WebKitGTK (MiniBrowser through WebKitWebDriver, under Xvfb). Assertions
// count what the server saw; every storm request is matched to one record of the proxy in front
// of the server (the server's own log has no query string to match on).
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { DEMO_CREDENTIALS } from '../../demo/server/index.js';
import {
  apiRequests,
  oneRefreshPerLifetime,
  refreshSummary,
  requestTrail,
} from '../harness/server-counters.js';
import {
  closeExtraTabs,
  fetchIn,
  loggedIn,
  loginThroughForm,
  openDemo,
  recordedEvents,
  startApp,
  startStorm,
  stopStorm,
  waitFor,
} from './harness.js';
import { startWebKit, type WebKitSession } from './webdriver.js';

let session: WebKitSession;
let app: Awaited<ReturnType<typeof startApp>> | undefined;

beforeAll(async () => {
  session = await startWebKit();
}, 60_000);
afterAll(async () => {
  await session?.close();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await closeExtraTabs(session);
});

async function setUp(ttlSeconds: number) {
  app = await startApp(ttlSeconds);
  return app;
}

test('login capture: the worker keeps the tokens, the next API call carries generation 1', async () => {
  const { server, proxy } = await setUp(60);
  const tab = await openDemo(session, proxy.url, { panelPoll: 0 });
  await loginThroughForm(session, tab);
  expect(server.control.counters().logins).toBe(1);
  server.control.reset();
  expect(await fetchIn(session, tab)).toEqual({ status: 200, generation: 1 });
  expect(apiRequests(server.control.counters(), '/api/me')).toEqual([
    expect.objectContaining({ authorization: true, generation: 1, status: 200 }),
  ]);
});

const STORM_TTL_S = 3;
const LIFETIMES = 3;

test(`storm: 3 tabs across ${LIFETIMES} lifetimes, one refresh per lifetime, no reuse, every request matched`, async () => {
  const { server, proxy } = await setUp(STORM_TTL_S);
  const tabs: string[] = [];
  for (let i = 0; i < 3; i++) tabs.push(await openDemo(session, proxy.url, { lead: 1 }));
  await loginThroughForm(session, tabs[0] ?? '');
  await waitFor('every tab logged in', async () =>
    (await Promise.all(tabs.map((t) => loggedIn(session, t)))).every(Boolean),
  );
  const before = proxy.records.length;
  for (const [i, tab] of tabs.entries())
    await startStorm(session, tab, { burst: 6, via: ['fetch', 'axios'], tag: `t${i}` });
  await waitFor(
    `generation ${LIFETIMES + 1}`,
    () => (Object.values(server.control.counters().families)[0]?.generation ?? 0) >= LIFETIMES + 1,
    (LIFETIMES + 2) * STORM_TTL_S * 1000,
  );
  const storms = [];
  for (const tab of tabs) storms.push(await stopStorm(session, tab));
  const counters = server.control.counters();

  // One refresh per lifetime and no reuse. A 401 may precede a refresh: WebKit ran the
  // proactive timer late in background tabs (docs/platform-facts.md §15); every such request
  // was replayed (no storm request failed, below).
  const summary = refreshSummary(counters);
  const lifetimes = summary.generation - 1;
  expect(lifetimes).toBeGreaterThanOrEqual(LIFETIMES);
  expect({ ...summary, unauthorized: 0 }, requestTrail(counters)).toEqual(oneRefreshPerLifetime(lifetimes));
  for (const storm of storms) {
    expect(storm.failed, storm.errors.join('; ')).toBe(0);
    expect(storm.ok).toBeGreaterThan(LIFETIMES * 6);
  }
  // Every request a page counted as answered reached the server with a token: once, or twice
  // when a late 401 (counted in `unauthorized` above) was replayed with the next token.
  const statusesByTag = new Map<string, number[]>();
  for (const record of proxy.records.slice(before)) {
    const tag = new URL(record.url, proxy.url).searchParams.get('storm');
    if (tag === null) continue;
    expect(record.authorization, tag).toBe(true);
    statusesByTag.set(tag, [...(statusesByTag.get(tag) ?? []), record.status]);
  }
  const okTags = storms.flatMap((s) => s.okTags);
  expect(okTags.length).toBe(storms.reduce((n, s) => n + s.ok, 0));
  const unmatched = okTags.filter((tag) => {
    const statuses = (statusesByTag.get(tag) ?? []).join(',');
    return statuses !== '200' && statuses !== '401,200';
  });
  expect(
    unmatched.map((tag) => `${tag}: ${statusesByTag.get(tag)?.join(',') ?? 'never reached the server'}`),
  ).toEqual([]);
  expect(statusesByTag.size).toBe(okTags.length);
  expect([...statusesByTag.values()].filter((s) => s.length === 2)).toHaveLength(summary.unauthorized);
  // ...and the server's own log agrees with the proxy's.
  const statuses = (list: number[]) => list.sort((x, y) => x - y).join(',');
  expect(statuses(apiRequests(counters, '/api/me').map((r) => r.status))).toBe(
    statuses(proxy.records.filter((r) => r.url.startsWith('/api/me')).map((r) => r.status)),
  );
  for (const tab of tabs) expect(await recordedEvents(session, tab, 'logout')).toEqual([]);
}, 120_000);

test('late 401: a slow request on the old token is answered 401 after the refresh, replayed once, no second refresh', async () => {
  const { server, proxy } = await setUp(3);
  const tab = await openDemo(session, proxy.url, { lead: 1, panelPoll: 0 });
  await loginThroughForm(session, tab);
  server.control.configure({ accessTtlSeconds: 60 });
  server.control.reset();
  // `/api/slow` validates the token when it answers, 4 s later: after generation 1 expired.
  const outcome = await fetchIn(session, tab, '/api/slow?ms=4000&validate=end');
  const counters = server.control.counters();
  expect(outcome).toEqual({ status: 200, generation: 2 });
  expect(counters.refreshCalls).toBe(1);
  expect(counters.reuseDetections).toBe(0);
  expect(apiRequests(counters, '/api/slow').map((r) => r.status)).toEqual([401, 200]);
  expect(await recordedEvents(session, tab, 'logout')).toEqual([]);
});

test('logout in one tab reaches the others within 2 s; the next call carries no token', async () => {
  const { server, proxy } = await setUp(60);
  const tabs: string[] = [];
  for (let i = 0; i < 3; i++) tabs.push(await openDemo(session, proxy.url, { panelPoll: 0 }));
  await loginThroughForm(session, tabs[0] ?? '');
  await waitFor('every tab logged in', async () =>
    (await Promise.all(tabs.map((t) => loggedIn(session, t)))).every(Boolean),
  );
  await session.run(
    tabs[0] ?? '',
    () => (globalThis as unknown as { demo: { broker: { logout(): Promise<void> } } }).demo.broker.logout(),
    undefined,
  );
  for (const tab of tabs.slice(1))
    await waitFor(
      'the logout event',
      async () => (await recordedEvents(session, tab, 'logout')).length === 1,
      2_000,
    );
  server.control.reset();
  for (const tab of tabs) expect((await fetchIn(session, tab)).status).toBe(401);
  expect(server.control.counters().requestsWithAuth).toBe(0);
});

test('outage through the server switch: requests fail while it is down, then work again on the same session', async () => {
  const { server, proxy } = await setUp(60);
  const tab = await openDemo(session, proxy.url, { panelPoll: 0 });
  await loginThroughForm(session, tab);
  server.control.setOffline(true);
  const down = await session.run(
    tab,
    () =>
      fetch('/api/me', { cache: 'no-store' }).then(
        (r) => `status ${r.status}`,
        () => 'network error',
      ),
    undefined,
  );
  server.control.setOffline(false);
  server.control.reset();
  expect(down).not.toBe('status 200');
  await waitFor(
    'an answer after the outage',
    async () => (await fetchIn(session, tab)).status === 200,
    30_000,
  );
  const counters = server.control.counters();
  expect(counters.reuseDetections + counters.invalidGrants).toBe(0);
  expect(counters.logins).toBe(0);
  expect(await recordedEvents(session, tab, 'logout')).toEqual([]);
});

test('body replay: a POST on an expired token is refreshed once and replayed with the identical body', async () => {
  const { server, proxy } = await setUp(60);
  const tab = await openDemo(session, proxy.url, { panelPoll: 0 });
  // A session whose access token the server already considers expired; the worker believes it lives.
  server.control.configure({ accessTtlSeconds: 0.5 });
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(DEMO_CREDENTIALS),
  });
  const tokens = (await login.json()) as { access_token: string; refresh_token: string };
  server.control.configure({ accessTtlSeconds: 60 });
  await session.run(
    tab,
    (t) =>
      (
        globalThis as unknown as { demo: { broker: { setSession(s: object): Promise<unknown> } } }
      ).demo.broker.setSession(t),
    { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: 600 },
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  server.control.reset();
  const result = await session.run(
    tab,
    async () => {
      const bytes = new Uint8Array(64 * 1024);
      crypto.getRandomValues(bytes);
      const hex = async (b: ArrayBuffer) =>
        [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))]
          .map((x) => x.toString(16).padStart(2, '0'))
          .join('');
      const response = await fetch('/api/echo', {
        method: 'POST',
        body: bytes,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      const echoed = (await response.json()) as { sha256?: string; bytes?: number };
      return { status: response.status, sent: await hex(bytes.buffer), echoed };
    },
    undefined,
  );
  const counters = server.control.counters();
  expect(result.status).toBe(200);
  expect(result.echoed).toMatchObject({ sha256: result.sent, bytes: 64 * 1024 });
  expect(counters.refreshCalls).toBe(1);
  expect(apiRequests(counters, '/api/echo').map((r) => r.status)).toEqual([401, 200]);
});

test('revoked family: the next request ends the session in every tab, one refresh attempt', async () => {
  const { server, proxy } = await setUp(60);
  const tabs: string[] = [];
  for (let i = 0; i < 2; i++) tabs.push(await openDemo(session, proxy.url, { panelPoll: 0 }));
  await loginThroughForm(session, tabs[0] ?? '');
  await waitFor('every tab logged in', async () =>
    (await Promise.all(tabs.map((t) => loggedIn(session, t)))).every(Boolean),
  );
  server.control.reset();
  server.control.revokeAll('test');
  const first = await session.run(
    tabs[1] ?? '',
    () =>
      fetch('/api/me', { cache: 'no-store' }).then((r) => ({
        status: r.status,
        marker: r.headers.get('x-token-broker-error'),
      })),
    undefined,
  );
  expect(first).toEqual({ status: 401, marker: 'refresh-rejected' });
  const atRevoke = server.control.counters();
  expect({ refreshCalls: atRevoke.refreshCalls, invalidGrants: atRevoke.invalidGrants }).toEqual({
    refreshCalls: 1,
    invalidGrants: 1,
  });
  for (const tab of tabs)
    await waitFor(
      'the logout event',
      async () => (await recordedEvents(session, tab, 'logout')).length === 1,
      2_000,
    );
  server.control.reset();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  for (const tab of tabs) expect((await fetchIn(session, tab)).status).toBe(401);
  const counters = server.control.counters();
  expect(counters.refreshCalls).toBe(0);
  expect(counters.requestsWithAuth).toBe(0);
});
