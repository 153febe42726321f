// Issue 19: the React hook and the Vue composable in real components, two tabs on the GoTrue
// fixture (JWT access tokens with sub, email and role). A login in one tab, a refresh and a
// logout in the other: both components in both tabs re-render from the worker's broadcasts alone.
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

const test = base.extend<{ gotrue: GoTrueFixture }>({
  gotrue: async ({ app }, use) => {
    const gotrue = await startGoTrueFixture();
    try {
      const config: PageConfig = {
        worker: supabaseWorkerConfig(gotrue),
        gotrue: { url: gotrue.url, apiKey: gotrue.apiKey },
      };
      app.setPageConfig(config);
      await use(gotrue);
    } finally {
      await gotrue.close();
    }
  },
});

/** Calls the page's `bindings.login` / `refresh` / `logout` (see app/bindings.ts). */
function act(page: Page, method: 'login' | 'refresh' | 'logout', ...args: string[]): Promise<void> {
  type Bindings = Record<typeof method, (...a: string[]) => Promise<void>>;
  return page.evaluate(([m, a]) => (globalThis as unknown as { bindings: Bindings }).bindings[m](...a), [
    method,
    args,
  ] as const);
}

/** What each component shows, read from the DOM. */
async function shown(page: Page) {
  return Promise.all(
    ['#react-session', '#vue-session'].map((id) =>
      page.$eval(id, (el) => ({
        status: el.getAttribute('data-status'),
        sub: el.getAttribute('data-sub'),
        email: el.getAttribute('data-email'),
        role: el.getAttribute('data-role'),
        generation: Number(el.getAttribute('data-generation')),
        renders: Number(el.getAttribute('data-renders')),
      })),
    ),
  );
}

const view = (status: string, generation: number, user?: { sub: string }) => {
  const v = {
    status,
    sub: user?.sub ?? '',
    email: user ? GOTRUE_EMAIL : '',
    role: user ? 'authenticated' : '',
    generation,
  };
  return [expect.objectContaining(v), expect.objectContaining(v)];
};

test('React and Vue components in two tabs re-render on a login, a refresh and a logout made in another tab', async ({
  context,
  app,
  gotrue,
}) => {
  const open = async (): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${app.url}/bindings.html`);
    await waitReady(page);
    return page;
  };
  const [a, b] = [await open(), await open()];
  for (const tab of [a, b]) await expect.poll(() => shown(tab)).toEqual(view('unauthenticated', 0));

  await act(a, 'login', GOTRUE_EMAIL, GOTRUE_PASSWORD);
  const user = { sub: '8d0fd2b3-9ca5-4a5e-8b29-1a2b3c4d5e6f' };
  for (const tab of [a, b]) await expect.poll(() => shown(tab)).toEqual(view('authenticated', 1, user));
  const rendersBefore = (await shown(a)).map((s) => s.renders);

  await act(b, 'refresh');
  for (const tab of [a, b]) await expect.poll(() => shown(tab)).toEqual(view('authenticated', 2, user));
  // One refresh, one new render per component (the answer of b's own call changes nothing more).
  expect((await shown(a)).map((s) => s.renders)).toEqual(rendersBefore.map((n) => n + 1));
  expect(gotrue.tokenCalls.map((c) => [c.grantType, c.status])).toEqual([
    ['password', 200],
    ['refresh_token', 200],
  ]);

  await act(b, 'logout');
  for (const tab of [a, b]) await expect.poll(() => shown(tab)).toEqual(view('unauthenticated', 0));
});
