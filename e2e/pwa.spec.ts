import { existsSync } from 'node:fs';
import { appendFile, cp } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, test as base, type TestServer } from './fixtures.js';
import { CHROMIUM_ONLY, waitForController } from './harness/worker-control.js';

// The reference PWA (examples/pwa, vite-plugin-pwa injectManifest) served by the demo server,
// whose routes are its API. "Offline" is the server dropping every connection (docs/platform-facts.md §11),
// so the app shell and API data can only come from the worker's caches.
const pwaDir = fileURLToPath(new URL('../dist/examples/pwa', import.meta.url));

const test = base.extend<{ server: TestServer }>({
  server: async ({ serverOptions }, use) => {
    if (!existsSync(`${pwaDir}/sw.js`))
      throw new Error(`Missing build output ${pwaDir}: run \`npm run build\` first.`);
    const { startServer } = await import('../demo/server/index.js');
    const server = await startServer({ ...serverOptions, testControl: true, staticDir: pwaDir });
    try {
      await use(server);
    } finally {
      await server.close();
    }
  },
});

const out = (page: Page) => page.locator('#out');

async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitForController(page);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
}

const meRequests = (server: TestServer) =>
  server.control.counters().requests.filter((r) => r.path === '/api/me');
const apiCaches = (page: Page) =>
  page.evaluate(async () => (await caches.keys()).filter((name) => name === 'api-data'));

test('the app shell and API data come from the caches offline; online, API data is fresh and sent with a token', async ({
  page,
  server,
}) => {
  await open(page, `${server.url}/`);
  await page.click('#login');
  await expect(out(page)).toHaveText('logged in');
  await page.click('#load');
  await expect(out(page)).toContainText('200 {"user":"demo"');
  expect(meRequests(server).map((r) => [r.authorization, r.status])).toEqual([[true, 200]]);

  server.control.setOffline(true);
  // A deep link too: the navigation route answers it with the precached shell.
  await open(page, `${server.url}/some/deep/link`);
  await expect(page.locator('#shell')).toHaveText('App shell');
  await page.click('#load');
  await expect(out(page)).toContainText('200 {"user":"demo"');

  server.control.setOffline(false);
  server.control.reset();
  await page.click('#load');
  await expect.poll(() => meRequests(server).map((r) => [r.authorization, r.status])).toEqual([[true, 200]]);
  await expect(out(page)).toContainText('200 {"user":"demo"');
});

test('logout in one tab empties the API cache for every tab, before they hear of it', async ({
  page,
  context,
  server,
}) => {
  await open(page, `${server.url}/`);
  await page.click('#login');
  await expect(out(page)).toHaveText('logged in');
  await page.click('#load');
  await expect(out(page)).toContainText('200 {"user":"demo"');
  expect(await apiCaches(page)).toEqual(['api-data']);

  const other = await context.newPage();
  await open(other, `${server.url}/`);
  // What the other tab finds in CacheStorage the moment it hears `logout`.
  await other.evaluate(() => {
    const channel = new BroadcastChannel('sw-token-broker');
    channel.onmessage = async ({ data }) => {
      if (data.type === 'logout')
        document.body.dataset.cachesAtLogout = JSON.stringify(
          (await caches.keys()).filter((n) => n === 'api-data'),
        );
    };
  });
  await page.click('#logout');
  await expect(other.locator('body')).toHaveAttribute('data-caches-at-logout', '[]');
  await expect(other.locator('#out')).toHaveText('logged out (user-logout)');
  expect(await apiCaches(page)).toEqual([]);

  // Offline, the next user finds nothing of the last one's data.
  server.control.setOffline(true);
  await other.click('#load');
  await expect(other.locator('#out')).toHaveText('offline, nothing cached');
});

test('a new build waits, is announced, and takes over when the app applies it: no logout, no uninvited reload', async ({
  page,
  serverOptions,
}, testInfo) => {
  // A copy of the build whose sw.js the test changes, as a deployment would.
  const dir = testInfo.outputPath('pwa');
  await cp(pwaDir, dir, { recursive: true });
  const { startServer } = await import('../demo/server/index.js');
  const server = await startServer({ ...serverOptions, testControl: true, staticDir: dir });
  try {
    await open(page, `${server.url}/`);
    await page.click('#login');
    await expect(out(page)).toHaveText('logged in');
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));

    await appendFile(`${dir}/sw.js`, '\n// build 2\n');
    await page.evaluate(async () => void (await (await navigator.serviceWorker.getRegistration())?.update()));
    await expect(page.locator('#update')).toBeVisible();
    // Announced, not applied: the page was not reloaded and the old version still controls it.
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    expect(
      await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting !== null),
    ).toBe(true);

    const reloaded = page.waitForEvent('load');
    await page.click('#update');
    await reloaded;
    await waitForController(page);
    expect(
      await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null),
    ).toBe(null);
    await page.click('#load');
    await expect(out(page)).toContainText('200 {"user":"demo"');
    const counters = server.control.counters();
    expect(counters.logins).toBe(1);
    expect(counters.requests.filter((r) => r.path === '/api/me').map((r) => r.authorization)).toEqual([true]);
  } finally {
    await server.close();
  }
});

test.describe('a storm across two tabs', () => {
  test.use({ serverOptions: { accessTtlSeconds: 3 } });

  test('through the Workbox route still gives one refresh per token lifetime', async ({
    page,
    context,
    server,
  }) => {
    await open(page, `${server.url}/`);
    const loginAt = Date.now();
    await page.click('#login');
    await expect(out(page)).toHaveText('logged in');
    const other = await context.newPage();
    await open(other, `${server.url}/`);
    // Time is the subject: each tab keeps 5 requests in flight for 7 s, a little over two token lifetimes.
    const storm = (tab: Page) =>
      tab.evaluate(async () => {
        const statuses: number[] = [];
        const until = Date.now() + 7_000;
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            while (Date.now() < until) statuses.push((await fetch('/api/me')).status);
          }),
        );
        return statuses;
      });
    const [a, b] = await Promise.all([storm(page), storm(other)]);
    expect(new Set([...a, ...b])).toEqual(new Set([200]));
    const counters = server.control.counters();
    expect(counters.reuseDetections).toBe(0);
    expect(counters.invalidGrants).toBe(0);
    expect(counters.refreshCalls).toBe(counters.rotations);
    // 7 s of 3 s tokens: at least two rotations, never one per request or per tab. A refresh is
    // due at most lifetime / 4 early (sw/expiry.ts), so one comes at most every 2.25 s from the
    // login on; a slow engine on a loaded machine takes longer than 7 s in all.
    const elapsedMs = Date.now() - loginAt;
    expect(counters.rotations).toBeGreaterThanOrEqual(2);
    expect(counters.rotations, `${elapsedMs} ms from login`).toBeLessThanOrEqual(
      Math.floor(elapsedMs / 2_250) + 1,
    );
  });
});

test('the shadowed-route warning works on a real FetchEvent: Chromium lets the broker wrap its respondWith', async ({
  browserName,
  page,
  context,
  server,
}) => {
  test.skip(browserName !== 'chromium', CHROMIUM_ONLY.workerEvaluate);
  await open(page, `${server.url}/`);
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const outcome = await worker.evaluate(() => {
    type Fetchy = Event & { respondWith(r: Response): void };
    const Ctor = (
      globalThis as unknown as { FetchEvent: new (type: string, init: { request: Request }) => Fetchy }
    ).FetchEvent;
    const event = new Ctor('fetch', { request: new Request('/api/me') });
    let wrapped = 0;
    const original = event.respondWith.bind(event);
    Object.defineProperty(event, 'respondWith', {
      configurable: true,
      value: (r: Response) => (wrapped++, original(r)),
    });
    const attempt = (): string => {
      try {
        event.respondWith(new Response('x'));
        return 'accepted';
      } catch (error) {
        return (error as DOMException).name;
      }
    };
    return { wrapped, calls: [attempt(), attempt()], count: wrapped };
  });
  // Both calls reached the wrapper and the browser's own method (a constructed event is not being
  // dispatched, so Chromium enforces nothing here; a dispatched one throws InvalidStateError on the second).
  expect(outcome.count).toBe(2);
  expect(outcome.calls.filter((c) => c === 'TypeError')).toEqual([]);
});
