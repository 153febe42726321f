// One rule set for every path (issues 28 and 13): on a tab the worker does not control (a hard
// reload whose claim does not take), the client's `fetch` and attached Axios decide each request
// as the worker would, replay the first attempt's exact bytes after a 401, send a login through
// the worker's capture, and honour an abort while the 401 recovery waits.
import type { Page } from '@playwright/test';
import { DEMO_CREDENTIALS } from '../demo/server/index.js';
import { expect, test } from './fixtures.js';
import { apiRequests } from './harness/server-counters.js';
import { brokerStatus, sessionTheServerAlreadyExpired } from './harness/tabs.js';
import { openUncontrolledDemo, CHROMIUM_ONLY } from './harness/worker-control.js';

test.skip(({ browserName }) => browserName !== 'chromium', CHROMIUM_ONLY.hardReload);

/** The demo's globals this spec uses (demo/main.ts). */
type Demo = {
  broker: { fetch: typeof fetch; attachAxios(instance: unknown): () => void };
  api: {
    create(config: object): Demo['api'];
    get(url: string, config?: object): Promise<{ status: number; data: unknown }>;
    post(url: string, data?: unknown, config?: object): Promise<{ status: number; data: unknown }>;
  };
};

const inPage = <T, A>(page: Page, fn: (demo: Demo, arg: A) => Promise<T>, arg: A): Promise<T> =>
  page.evaluate(
    async ({ source, arg }) => {
      const demo = (globalThis as unknown as { demo: Demo }).demo;
      return (
        new Function('demo', 'arg', `return (${source})(demo, arg)`) as (d: Demo, a: unknown) => Promise<T>
      )(demo, arg);
    },
    { source: fn.toString(), arg: arg as unknown },
  );

test('Axios with a custom transformRequest replays the bytes of the first attempt (server sees the same body)', async ({
  context,
  server,
}) => {
  const page = await openUncontrolledDemo(context, server);
  await sessionTheServerAlreadyExpired(page, server);
  const outcome = await inPage(
    page,
    async (demo) => {
      const sent: string[] = [];
      // Not idempotent: run twice, it would wrap the JSON string again.
      const transformRequest = [
        (data: unknown) => (
          sent.push(JSON.stringify({ signed: 'v1', payload: data })), sent[sent.length - 1]
        ),
      ];
      const instance = demo.api.create({
        baseURL: '/api',
        transformRequest,
        headers: { 'Content-Type': 'application/json' },
      });
      demo.broker.attachAxios(instance);
      const response = await instance.post('/echo', { hello: 'wörld', list: [1, 2, 3] });
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sent[0]));
      const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
      return {
        status: response.status,
        echoed: response.data as { sha256: string; bytes: number },
        sent,
        sha256,
        bytes: new TextEncoder().encode(sent[0]).length,
      };
    },
    undefined,
  );
  expect(outcome.status).toBe(200);
  expect(outcome.sent).toHaveLength(1); // the transform ran once
  expect(outcome.echoed).toMatchObject({ sha256: outcome.sha256, bytes: outcome.bytes });
  const counters = server.control.counters();
  expect(apiRequests(counters, '/api/echo').map((r) => r.status)).toEqual([401, 200]);
  expect(counters.refreshCalls).toBe(1);
});

test('respectExistingAuthorization: false holds: the user’s token replaces the app’s Authorization on fetch and Axios', async ({
  context,
  server,
}) => {
  const page = await openUncontrolledDemo(context, server, { respectAuth: 0 });
  await page.click('#login');
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'logged in');
  const statuses = await inPage(
    page,
    async (demo) => {
      const headers = { Authorization: 'Bearer anon-key' };
      const viaFetch = await demo.broker.fetch('/api/me', { headers });
      const viaAxios = await demo.api.get('/me', { headers });
      return [viaFetch.status, viaAxios.status];
    },
    undefined,
  );
  expect(statuses).toEqual([200, 200]);
  expect(apiRequests(server.control.counters(), '/api/me').map((r) => [r.status, r.generation])).toEqual([
    [200, 1],
    [200, 1],
  ]);
});

test('a login from an uncontrolled tab is captured through the worker, by fetch and by Axios: no refresh token reaches the page', async ({
  context,
  server,
}) => {
  const page = await openUncontrolledDemo(context, server);
  const answers = await inPage(
    page,
    async (demo, credentials) => {
      const viaFetch = await demo.broker.fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(credentials),
      });
      const fetched = (await viaFetch.json()) as Record<string, unknown>;
      const viaAxios = await demo.api.post('/auth/login', credentials);
      const me = await demo.broker.fetch('/api/me');
      return { fetched, axios: viaAxios.data as Record<string, unknown>, me: me.status };
    },
    DEMO_CREDENTIALS,
  );
  for (const answer of [answers.fetched, answers.axios]) {
    expect(answer).toHaveProperty('access_token');
    expect(answer).not.toHaveProperty('refresh_token');
  }
  expect(answers.me).toBe(200);
  expect(await brokerStatus(page)).toMatchObject({ loggedIn: true, generation: 2, controlled: false });
  const counters = server.control.counters();
  expect(counters.logins).toBe(2);
  // The token of the second login (a new family at the server, generation 1 there).
  expect(apiRequests(counters, '/api/me').map((r) => [r.status, r.generation])).toEqual([[200, 1]]);
});

test('a request aborted while its 401 recovery waits rejects at once, via Axios and fetch, and is never replayed', async ({
  context,
  server,
}) => {
  const page = await openUncontrolledDemo(context, server);
  await sessionTheServerAlreadyExpired(page, server);
  server.control.setRefreshLatency({ beforeMs: 3_000 });
  const outcome = await inPage(
    page,
    async (demo) => {
      const controller = new AbortController();
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => ({ name: 'resolved', at: performance.now() }),
          (e: { name?: string }) => ({ name: String(e?.name), at: performance.now() }),
        );
      const axiosCall = settle(demo.api.get('/me', { signal: controller.signal }));
      const fetchCall = settle(demo.broker.fetch('/api/me', { signal: controller.signal }));
      // Time is the subject: abort while the 3 s refresh is still running.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const abortedAt = performance.now();
      controller.abort();
      const [a, f] = await Promise.all([axiosCall, fetchCall]);
      return { axios: { name: a.name, ms: a.at - abortedAt }, fetch: { name: f.name, ms: f.at - abortedAt } };
    },
    undefined,
  );
  console.log(
    `abort during 401 recovery: axios rejected ${outcome.axios.ms.toFixed(1)} ms after the abort, fetch ${outcome.fetch.ms.toFixed(1)} ms`,
  );
  expect(outcome.axios.name).toBe('CanceledError');
  expect(outcome.fetch.name).toBe('AbortError');
  // Before: only once the refresh finished (~2.6 s after the abort).
  expect(outcome.axios.ms).toBeLessThan(1_000);
  expect(outcome.fetch.ms).toBeLessThan(1_000);
  // Both first attempts met the 401; neither was sent again after the refresh.
  await expect.poll(() => server.control.counters().rotations).toBe(1);
  expect(apiRequests(server.control.counters(), '/api/me').map((r) => r.status)).toEqual([401, 401]);
});
