// Issue 16, the startup gap and Axios order: the client exists before its worker is ready
// (`createTokenBroker`), so requests an app sends in its first line (a React Query or
// `useEffect` fetch) wait for readiness and carry the token, on a hard-reloaded page too; and the
// Axios integration sits below every interceptor (the adapter), so it cures a 401 whatever order
// the app registered its own interceptors in.
import type { Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { apiRequests } from './harness/server-counters.js';
import { loginThroughForm, openDemo, sessionTheServerAlreadyExpired } from './harness/tabs.js';
import {
  CHROMIUM_ONLY,
  hardReload,
  keepUncontrolled,
  openUncontrolledDemo,
} from './harness/worker-control.js';

test.skip(({ browserName }) => browserName !== 'chromium', CHROMIUM_ONLY.hardReload);

/** Remembers, before any page script runs, whether the page started out controlled. */
async function recordControlAtStart(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (globalThis as unknown as { __controlledAtStart: boolean }).__controlledAtStart =
      navigator.serviceWorker.controller !== null;
  });
}

/** Hard-reloads the demo with `?startup=1` and returns the statuses of its first-line requests (broker.fetch, attached Axios). */
async function startupStatuses(page: Page, server: TestServer): Promise<number[]> {
  await page.goto(`${server.url}/?startup=1`);
  await page.waitForSelector('body[data-ready="true"]');
  const before = apiRequests(server.control.counters(), '/api/me').length;
  await hardReload(page);
  await page.waitForSelector('body[data-ready="true"]');
  expect(
    await page.evaluate(
      () => (globalThis as unknown as { __controlledAtStart: boolean }).__controlledAtStart,
    ),
  ).toBe(false);
  const statuses = await page.evaluate(
    () => (globalThis as unknown as { startupRequests: Promise<number[]> }).startupRequests,
  );
  const after = apiRequests(server.control.counters(), '/api/me').slice(before);
  // Exactly the two startup requests, both with a valid token: none went out bare and got a 401.
  expect(after.map((r) => ({ authorization: r.authorization, status: r.status }))).toEqual([
    { authorization: true, status: 200 },
    { authorization: true, status: 200 },
  ]);
  return statuses;
}

test('a hard-reloaded page whose first line sends requests through fetch and Axios: both carry the token (claimed page)', async ({
  context,
  server,
}) => {
  const page = await openDemo(context, server);
  await loginThroughForm(page);
  await recordControlAtStart(page);
  expect(await startupStatuses(page, server)).toEqual([200, 200]);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(server.control.counters().refreshCalls).toBe(0);
});

test('a hard-reloaded page that stays uncontrolled: its first-line fetch and Axios requests carry the token', async ({
  context,
  server,
}) => {
  const page = await openDemo(context, server);
  await loginThroughForm(page);
  await recordControlAtStart(page);
  await keepUncontrolled(page);
  expect(await startupStatuses(page, server)).toEqual([200, 200]);
  expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
  expect(server.control.counters().refreshCalls).toBe(0);
});

/** The demo's globals this spec uses (demo/main.ts). */
type Demo = {
  broker: { attachAxios(instance: unknown): () => void };
  api: { create(config: object): AxiosInstanceLike };
};
type Interceptors = { use(onFulfilled?: unknown, onRejected?: unknown): number };
type AxiosInstanceLike = {
  interceptors: { request: Interceptors; response: Interceptors };
  get(url: string): Promise<{ status: number; data: unknown; mapped?: boolean }>;
};

for (const order of ['before', 'after'] as const) {
  test(`Axios with the app's request and error-mapping interceptors registered ${order} attachAxios: a 401 is cured with one refresh`, async ({
    context,
    server,
  }) => {
    const page = await openUncontrolledDemo(context, server);
    await sessionTheServerAlreadyExpired(page, server);
    const outcome = await page.evaluate(async (order) => {
      const demo = (globalThis as unknown as { demo: Demo }).demo;
      const instance = demo.api.create({ baseURL: '/api' });
      const appInterceptors = (): void => {
        // The app's own request interceptor: the request only reaches /api/me if it ran.
        instance.interceptors.request.use((config: { url: string }) => ({ ...config, url: '/me' }));
        // The common error mapper: an AxiosError becomes the app's own error, without `config` or
        // `response` (a response interceptor after it can no longer see the 401).
        instance.interceptors.response.use(
          (response: object) => ({ ...response, mapped: true }),
          (error: { response?: { status?: number } }) =>
            Promise.reject(new Error(`app error ${error.response?.status}`)),
        );
      };
      if (order === 'before') appInterceptors();
      demo.broker.attachAxios(instance);
      if (order === 'after') appInterceptors();
      try {
        const response = await instance.get('/placeholder');
        return { status: response.status, mapped: response.mapped, data: response.data };
      } catch (error) {
        return { error: (error as Error).message };
      }
    }, order);
    expect(outcome).toMatchObject({ status: 200, mapped: true, data: { user: 'demo' } });
    const counters = server.control.counters();
    expect(apiRequests(counters, '/api/me').map((r) => [r.authorization, r.status])).toEqual([
      [true, 401],
      [true, 200],
    ]);
    expect(apiRequests(counters, '/api/placeholder')).toEqual([]);
    expect(counters.refreshCalls).toBe(1);
  });
}
