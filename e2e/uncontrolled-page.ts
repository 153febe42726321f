import type { BrowserContext, Page } from '@playwright/test';
import { DEMO_CREDENTIALS } from '../demo/server/index.js';
import { openDemo, type DemoQuery } from './demo.js';
import { hardReload, type TestServer } from './fixtures.js';

/**
 * From the next load on, the page stays uncontrolled, as in a browser where the claim does not
 * take: its client's `claim` call reaches the worker as a `status` call instead.
 */
export async function keepUncontrolled(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const post = ServiceWorker.prototype.postMessage as (
      this: ServiceWorker,
      message: unknown,
      transfer: Transferable[],
    ) => void;
    ServiceWorker.prototype.postMessage = function (
      this: ServiceWorker,
      message: unknown,
      transfer?: unknown,
    ) {
      const m = message as { __swTokenBroker?: number; call?: { path?: string[] } } | null;
      if (m?.__swTokenBroker === 1 && m.call?.path?.[0] === 'claim')
        message = { ...m, call: { ...m.call, path: ['status'] } };
      return post.call(this, message, (transfer ?? []) as Transferable[]);
    } as typeof ServiceWorker.prototype.postMessage;
  });
}

/**
 * Opens the demo, then shift-reloads it and keeps it uncontrolled, as in a browser where the
 * claim does not take: the client's `claim` call reaches the worker as a `status` call. Only the
 * client's `fetch` and attached Axios can then authenticate the tab's requests.
 */
export async function openUncontrolledDemo(
  context: BrowserContext,
  server: TestServer,
  query: DemoQuery = {},
): Promise<Page> {
  const page = await openDemo(context, server, query);
  await keepUncontrolled(page);
  await hardReload(page);
  await page.waitForSelector('body[data-ready="true"]');
  if (await page.evaluate(() => navigator.serviceWorker.controller !== null))
    throw new Error('the reloaded tab is controlled');
  return page;
}

/**
 * Hands the worker a session whose access token the server already considers expired while
 * the worker believes it lives 10 minutes, so the next API request meets a 401 and goes through
 * the 401 recovery. Tokens minted later (the refresh) live 60 s.
 */
export async function sessionTheServerAlreadyExpired(
  page: Page,
  server: TestServer,
  ttlSeconds = 0.5,
): Promise<void> {
  server.control.configure({ accessTtlSeconds: ttlSeconds });
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(DEMO_CREDENTIALS),
  });
  const tokens = (await login.json()) as { access_token: string; refresh_token: string };
  server.control.configure({ accessTtlSeconds: 60 });
  await page.evaluate(
    (t) =>
      (
        globalThis as unknown as { demo: { broker: { setSession(s: object): Promise<unknown> } } }
      ).demo.broker.setSession(t),
    { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: 600 },
  );
  // Time is the subject: wait until the server's access token has expired (its `exp` claim).
  const { exp } = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as {
    exp: number;
  };
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 + 100 - Date.now())));
}
