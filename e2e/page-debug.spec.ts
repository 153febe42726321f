// Issue 16, `debug: true` on the page: one console line per decision of the client's `fetch` and
// Axios integration (attached, or skipped and why), never token material, nothing when off.
import type { Page } from '@playwright/test';
import { DEMO_CREDENTIALS } from '../demo/server/index.js';
import { expect, test } from './fixtures.js';
import type { DemoQuery } from './harness/tabs.js';
import {
  CHROMIUM_ONLY,
  hardReload,
  keepUncontrolled,
  openUncontrolledDemo,
} from './harness/worker-control.js';

test.skip(({ browserName }) => browserName !== 'chromium', CHROMIUM_ONLY.hardReload);

const PREFIX = '[sw-token-broker] page';

/** Collects the page client's debug lines from the console. */
function pageLines(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (message) => {
    if (message.text().startsWith(PREFIX)) lines.push(message.text());
  });
  return lines;
}

type Demo = {
  broker: { fetch: typeof fetch; getAccessToken(): Promise<string>; setSession(s: object): Promise<unknown> };
  api: { get(url: string, config?: object): Promise<unknown> };
};

test('debug: true logs each request decision on an uncontrolled page, and no token or refresh token', async ({
  context,
  server,
}) => {
  const page = await openUncontrolledDemo(context, server, { debug: 1 } as DemoQuery);
  const lines = pageLines(page);
  // Tokens handed over in the page (the refresh token passes the page once, on its way to the worker).
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(DEMO_CREDENTIALS),
  });
  const tokens = (await login.json()) as { access_token: string; refresh_token: string };
  const accessToken = await page.evaluate(
    async (t) => {
      const demo = (globalThis as unknown as { demo: Demo }).demo;
      const me = (init?: RequestInit) => demo.broker.fetch('/api/me', init).then((r) => r.status);
      await me(); // no session yet
      await demo.broker.setSession(t);
      await me();
      await me({ headers: { Authorization: 'Bearer the-apps-own' } });
      await demo.broker.fetch('/manifest.webmanifest');
      await demo.api.get('/me');
      await demo.broker.fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'demo', password: 'demo' }),
      });
      return demo.broker.getAccessToken();
    },
    { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: 600 },
  );
  await expect.poll(() => lines.length).toBeGreaterThanOrEqual(6);
  expect(lines).toEqual([
    `${PREFIX} skipped GET /api/me (no session)`,
    `${PREFIX} attached GET /api/me (generation 1)`,
    `${PREFIX} skipped GET /api/me (it has its own Authorization)`,
    `${PREFIX} skipped GET /manifest.webmanifest (out of scope)`,
    `${PREFIX} attached GET /api/me (generation 1)`,
    `${PREFIX} sent through the login capture POST /api/auth/login`,
  ]);
  for (const secret of [tokens.access_token, tokens.refresh_token, accessToken, 'Bearer', 'eyJ'])
    expect(lines.join('\n')).not.toContain(secret);
});

test('debug: true says why a request is left alone: page controlled, worker not configured, no worker; debug off logs nothing', async ({
  context,
  server,
}) => {
  const page = await context.newPage();
  const lines = pageLines(page);
  await page.goto(`${server.url}/?manual=1`);
  await page.waitForFunction(() => 'demoLib' in globalThis);
  const run = (options: object) =>
    page.evaluate(async (options) => {
      type Client = { ready: Promise<void>; fetch: typeof fetch };
      type Lib = { createTokenBroker(o: object): Client; demoWorkerConfig(q: string): object };
      const lib = (globalThis as unknown as { demoLib: Lib }).demoLib;
      const client = lib.createTokenBroker({ ...options, proactiveWakeUps: false });
      await client.ready.catch(() => undefined);
      return (await client.fetch('/api/me')).status;
    }, options);
  // Off by default: this request is decided silently. (The prebuilt worker, without a config.)
  await run({});
  expect(lines).toEqual([]);
  // The first visit's client had the page claimed: requests are the worker's business.
  await run({ debug: true });
  expect(lines.filter((l) => l.includes('/api/me'))).toEqual([
    `${PREFIX} left to the worker GET /api/me (page controlled)`,
  ]);
  // Hard-reloaded and kept uncontrolled: the worker, never configured, leaves the request alone.
  await keepUncontrolled(page);
  await hardReload(page);
  await page.waitForFunction(() => 'demoLib' in globalThis);
  expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
  lines.length = 0;
  await run({ debug: true });
  expect(lines.filter((l) => l.includes('/api/me'))).toEqual([
    `${PREFIX} skipped GET /api/me (the worker is not configured)`,
  ]);
  // No worker at all.
  const bare = await context.newPage();
  const bareLines = pageLines(bare);
  await bare.addInitScript(() =>
    Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined }),
  );
  await bare.goto(`${server.url}/?manual=1`);
  await bare.waitForFunction(() => 'demoLib' in globalThis);
  await bare.evaluate(async () => {
    type Lib = { createTokenBroker(o: object): { fetch: typeof fetch } };
    const lib = (globalThis as unknown as { demoLib: Lib }).demoLib;
    await lib.createTokenBroker({ debug: true }).fetch('/api/me');
  });
  expect(bareLines.filter((l) => l.includes('/api/me'))).toEqual([
    `${PREFIX} skipped GET /api/me (page not controlled, no worker: worker-unavailable)`,
  ]);
});
