import type { BrowserContext, Page } from '@playwright/test';
import type { TestServer } from './fixtures.js';

/**
 * Demo query parameters that shorten the worker's timings or play another deployment's config
 * (see demo/config.ts); `panelPoll: 0` stops the panel's 1 s status polling (demo/main.ts);
 * `respectAuth: 0` sets `respectExistingAuthorization: false`.
 */
export type DemoQuery = Partial<
  Record<
    | 'lead'
    | 'refreshTimeout'
    | 'requestWait'
    | 'backoff'
    | 'attempts'
    | 'panelPoll'
    | 'configVersion'
    | 'capture'
    | 'respectAuth',
    number
  >
> & {
  /** A path the worker config excludes from the token. */
  exclude?: string;
};

/**
 * Opens the demo in a new tab and waits until its client is registered. `app` opens it as another
 * app on the same origin (`/apps/<app>/`: its own broker name and registration scope).
 */
export async function openDemo(
  context: BrowserContext,
  server: TestServer,
  query: DemoQuery = {},
  app?: string,
): Promise<Page> {
  const page = await context.newPage();
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  await page.goto(`${server.url}/${app ? `apps/${app}/` : ''}${search ? `?${search}` : ''}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

/** Logs in through the demo's form and waits for the session panel. */
export async function loginThroughForm(page: Page): Promise<void> {
  await page.click('#login');
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'logged in');
}

/** Runs `GET /api/me` in the page with plain fetch or with the demo's plain axios instance. */
export function callMe(page: Page, via: 'fetch' | 'axios'): Promise<{ user: string; generation: number }> {
  return page.evaluate(async (how) => {
    const demo = (globalThis as unknown as { demo: Record<string, () => Promise<unknown>> }).demo;
    return (await (how === 'fetch' ? demo.meWithFetch!() : demo.meWithAxios!())) as {
      user: string;
      generation: number;
    };
  }, via);
}
