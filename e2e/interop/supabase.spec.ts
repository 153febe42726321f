// Issue 19: supabase-js itself on the broker (the README's bridge), against the GoTrue fixture
// behind a gateway that answers supabase-js's preflights. Query, storage upload, function call,
// Realtime's token, login captured by the worker and signOut wired to logout(); every count is
// what the fixture saw.
import type { Page } from '@playwright/test';
import { expect, test as base } from './fixtures.js';
import {
  GOTRUE_EMAIL,
  GOTRUE_PASSWORD,
  startGoTrueFixture,
  supabaseWorkerConfig,
  type GoTrueFixture,
} from './gotrue-fixture.js';
import type { PageConfig } from './page-config.js';
import { waitReady } from './page-helpers.js';

const USER = '8d0fd2b3-9ca5-4a5e-8b29-1a2b3c4d5e6f';

const test = base.extend<{ gotrue: GoTrueFixture }>({
  gotrue: async ({ app }, use) => {
    const gotrue = await startGoTrueFixture();
    try {
      const config: PageConfig = {
        // The README recipe: the worker captures the password login.
        worker: { ...supabaseWorkerConfig(gotrue), loginEndpoint: `${gotrue.url}/auth/v1/token` },
        gotrue: { url: gotrue.url, apiKey: gotrue.apiKey },
      };
      app.setPageConfig(config);
      await use(gotrue);
    } finally {
      await gotrue.close();
    }
  },
});

type Method =
  | 'signIn'
  | 'signOut'
  | 'refresh'
  | 'query'
  | 'upload'
  | 'invoke'
  | 'subscribe'
  | 'authCallFails';

/** The page's broker snapshot (sub and status). */
function snapshot(page: Page): Promise<{ sub: string | null; status: string }> {
  type Broker = { snapshot(): { sub: string | null; status: string } };
  return page.evaluate(() => {
    const { sub, status } = (globalThis as unknown as { supa: { broker: Broker } }).supa.broker.snapshot();
    return { sub, status };
  });
}

/** Calls `supa[method]` in the page (see app/supabase.ts). */
function supa<T = unknown>(page: Page, method: Method, ...args: string[]): Promise<T> {
  type Supa = Record<Method, (...a: string[]) => Promise<T>>;
  return page.evaluate(([m, a]) => (globalThis as unknown as { supa: Supa }).supa[m](...a), [
    method,
    args,
  ] as const);
}

async function openSupabasePage(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/supabase.html`);
  await waitReady(page);
}

test('supabase-js queries, uploads, invokes and subscribes with the user token; login captured, signOut logs out', async ({
  context,
  app,
  gotrue,
}) => {
  const page = await context.newPage();
  await openSupabasePage(page, app.url);
  expect(await supa(page, 'authCallFails')).toContain('accessToken option');

  await supa(page, 'signIn', GOTRUE_EMAIL, GOTRUE_PASSWORD);
  // The worker took the login's answer: the page holds no refresh token, the broker the session.
  expect(
    await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)),
  ).not.toMatch(/refresh/);
  await expect.poll(async () => (await snapshot(page)).sub).toBe(USER);

  expect(await supa(page, 'query')).toEqual({ ok: true, status: 200, data: [{ id: 1, owner: USER }] });
  expect(await supa(page, 'upload')).toMatchObject({ ok: true, data: { path: 'me/a.txt' } });
  expect(await supa(page, 'invoke')).toEqual({ ok: true, data: { hello: USER } });
  expect(gotrue.restCalls.map((c) => [c.path, c.status, c.subject])).toEqual([
    ['/rest/v1/todos', 200, USER],
    ['/storage/v1/object/avatars/me/a.txt', 200, USER],
    ['/functions/v1/hello', 200, USER],
  ]);

  // Realtime joins with the user's token, and gets the next one right after a refresh.
  expect(await supa(page, 'subscribe')).toBe('SUBSCRIBED');
  await expect
    .poll(() => gotrue.realtimeAuths.filter((a) => a.event === 'phx_join'))
    .toEqual([expect.objectContaining({ subject: USER, generation: 1 })]);
  await supa(page, 'refresh');
  await expect
    .poll(() =>
      gotrue.realtimeAuths.filter((a) => a.event === 'access_token').map((a) => [a.subject, a.generation]),
    )
    .toEqual([[USER, 2]]);
  expect(await supa(page, 'query')).toMatchObject({ ok: true, status: 200 });
  expect(gotrue.restCalls.at(-1)).toMatchObject({ status: 200, subject: USER });

  // signOut: GoTrue's session ends, the broker logs out, Realtime falls back to the anon key.
  await supa(page, 'signOut');
  expect(gotrue.logouts).toHaveLength(1);
  expect(gotrue.activeRefreshTokens()).toEqual([]);
  await expect.poll(async () => (await snapshot(page)).status).toBe('unauthenticated');
  await expect
    .poll(() => gotrue.realtimeAuths.filter((a) => a.event === 'access_token').map((a) => a.subject))
    .toEqual([USER, 'anon']);
  expect(await supa(page, 'query')).toMatchObject({ ok: false });
  expect(gotrue.restCalls.at(-1)).toMatchObject({ status: 401, reason: 'anon key, not a user token' });
  expect(gotrue.tokenCalls.map((c) => [c.grantType, c.status])).toEqual([
    ['password', 200],
    ['refresh_token', 200],
  ]);
});
