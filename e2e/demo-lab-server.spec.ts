import { DEMO_CREDENTIALS, startServer, type RunningServer } from '../demo/server/index.js';
import type { DemoStats } from '../demo/lab/stats-types.js';
import { expect, test } from './fixtures.js';

// The demo server's lab surface on its own (no browser): what the page's counters and timeline
// read, and what its race and toggles do. The page side is in demo-race and demo-lab specs.

let server: RunningServer;
test.beforeEach(async () => {
  server = await startServer({ demoMode: true, accessTtlSeconds: 60 });
});
test.afterEach(() => server.close());

interface Tokens {
  access_token: string;
  refresh_token: string;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function login(prefix: '/api' | '/classic', tab: string): Promise<Tokens> {
  const response = await post(
    `${prefix}/auth/login`,
    { ...DEMO_CREDENTIALS, client_id: prefix === '/api' ? 'demo' : 'classic' },
    { 'X-Demo-Tab': tab },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as Tokens;
}

function refresh(prefix: '/api' | '/classic', token: string, tab: string): Promise<Response> {
  return post(
    `${prefix}/auth/refresh`,
    { grant_type: 'refresh_token', refresh_token: token, client_id: prefix === '/api' ? 'demo' : 'classic' },
    { 'X-Demo-Tab': tab, 'X-Demo-Trigger': 'proactive' },
  );
}

function me(prefix: '/api' | '/classic', access: string, tab: string, call: string): Promise<Response> {
  return fetch(`${server.url}${prefix}/me`, {
    headers: { Authorization: `Bearer ${access}`, 'X-Demo-Tab': tab, 'X-Demo-Call': call },
  });
}

async function stats(): Promise<DemoStats> {
  return (await (await fetch(`${server.url}/__demo/stats`)).json()) as DemoStats;
}

test('counters and lifetimes per side: one refresh per lifetime here, a reused token there', async () => {
  const broker = await login('/api', 'tab-1');
  const classic = await login('/classic', 'tab-1');
  expect((await refresh('/api', broker.refresh_token, 'tab-1')).status).toBe(200);
  // Two tabs present the classic session's one refresh token: the second is reuse.
  expect((await refresh('/classic', classic.refresh_token, 'tab-1')).status).toBe(200);
  expect((await refresh('/classic', classic.refresh_token, 'tab-2')).status).toBe(401);
  expect((await me('/api', broker.access_token, 'tab-2', 'c1')).status).toBe(200);
  expect((await fetch(`${server.url}/api/me`)).status).toBe(401);

  const s = await stats();
  expect(s.sides.broker).toMatchObject({
    refreshCalls: 1,
    rotations: 1,
    reuseDetections: 0,
    revokedFamilies: 0,
    requestsWithToken: 1,
    requestsWithoutToken: 1,
    unauthorized: 1,
  });
  expect(s.sides.broker.lifetimes.map((l) => [l.generation, l.refreshCalls, l.until !== null])).toEqual([
    [1, 1, true],
    [2, 0, false],
  ]);
  expect(s.sides.classic).toMatchObject({
    refreshCalls: 2,
    rotations: 1,
    reuseDetections: 1,
    revokedFamilies: 1,
  });
  expect(s.sides.classic.lifetimes.map((l) => [l.generation, l.refreshCalls, l.revoked])).toEqual([
    [1, 2, null],
    [2, 0, 'reuse-detected'],
  ]);
  const classicRefreshes = s.sides.classic.marks.filter((m) => m.kind === 'refresh');
  expect(classicRefreshes.map((m) => [m.tab, m.trigger, m.outcome])).toEqual([
    ['tab-1', 'proactive', 'rotated'],
    ['tab-2', 'proactive', 'reuse'],
  ]);
  // The server's request log is untouched by the lab (same shape as without demo mode).
  expect(server.control.counters().reuseDetections).toBe(1);
});

test('the race expires every access token issued so far; a replay is the same call again', async () => {
  const broker = await login('/api', 'tab-1');
  const raced = (await (await post('/__demo/race', {})).json()) as { at: number };
  expect(raced.at).toBeGreaterThan(0);
  expect((await me('/api', broker.access_token, 'tab-1', 'call-1')).status).toBe(401);
  const rotated = (await (await refresh('/api', broker.refresh_token, 'tab-1')).json()) as Tokens;
  expect((await me('/api', rotated.access_token, 'tab-1', 'call-1')).status).toBe(200);
  const s = await stats();
  expect(s.sides.broker).toMatchObject({ unauthorized: 1, replays: 1 });
  expect(s.sides.broker.marks.filter((m) => m.kind !== 'login').map((m) => [m.kind, m.tab])).toEqual([
    ['401', 'tab-1'],
    ['refresh', 'tab-1'],
    ['replay', 'tab-1'],
  ]);
});

test('toggles: refresh 500s, slow refresh, outage that spares the lab surface', async () => {
  const broker = await login('/api', 'tab-1');
  expect((await post('/__demo/toggle', { refresh500: true, slowRefresh: true })).status).toBe(200);
  expect((await stats()).toggles).toEqual({ refresh500: true, slowRefresh: true, outage: false });
  expect((await refresh('/api', broker.refresh_token, 'tab-1')).status).toBe(500);
  await post('/__demo/toggle', { refresh500: false, slowRefresh: false, outage: true });
  await expect(fetch(`${server.url}/api/public/ping`)).rejects.toThrow();
  const during = await stats();
  expect(during.toggles.outage).toBe(true);
  expect(during.outages).toEqual([{ from: expect.any(Number), until: null, tab: null }]);
  await post('/__demo/toggle', { outage: false });
  expect((await refresh('/api', broker.refresh_token, 'tab-1')).status).toBe(200);
  const after = await stats();
  expect(after.outages[0]?.until).toEqual(expect.any(Number));
  expect(after.sides.broker.marks.filter((m) => m.kind === 'refresh').map((m) => m.outcome)).toEqual([
    'fault',
    'rotated',
  ]);
  expect((await post('/__demo/toggle', { outage: 'yes' })).status).toBe(400);
});
