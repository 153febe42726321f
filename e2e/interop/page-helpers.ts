// Drives the interop page from the outside: opening it, its logins, one-off API calls. Events and
// storms go through the shared harness (../harness/events.ts, ../harness/traffic.ts).
import type { BrowserContext, Page } from '@playwright/test';
import type { CallResult } from './page-config.js';

type PageGlobal = {
  interop: {
    callApi(url: string, headers?: Record<string, string>): Promise<CallResult>;
    startOAuthLogin(): Promise<void>;
    gotrueLogin(email: string, password: string): Promise<string>;
  };
};

/** Opens the app in a new tab and waits until its client is registered (and a callback handled). */
export async function openApp(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await waitReady(page);
  return page;
}

export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  if (ready !== 'true') throw new Error(`interop page failed to start: ${await page.textContent('#state')}`);
}

/** One `GET url` (same-origin path or absolute URL) with plain fetch in the page. */
export function callApi(
  page: Page,
  url = '/api/me',
  headers: Record<string, string> = {},
): Promise<CallResult> {
  return page.evaluate(([u, h]) => (globalThis as unknown as PageGlobal).interop.callApi(u, h), [
    url,
    headers,
  ] as const);
}

/**
 * The provider's authorization code + PKCE flow in `page`: its login form (any login), its
 * consent page, then back to `/callback`, where the page exchanges the code.
 */
export async function oauthLogin(page: Page, appUrl: string, login = 'interop-user'): Promise<void> {
  const callback = page.waitForURL((url) => url.href.startsWith(`${appUrl}/callback`), { timeout: 20_000 });
  await page.evaluate(() => void (globalThis as unknown as PageGlobal).interop.startOAuthLogin());
  // Each devInteractions form names its prompt in a hidden field: wait for the right page, not just any button.
  const form = (prompt: string) => `form:has(input[name="prompt"][value="${prompt}"])`;
  await page.waitForSelector(form('login'));
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await page.click(`${form('login')} button[type="submit"]`);
  // Consent: "offline_access" and the API scope are asked for explicitly (prompt=consent).
  await page.click(`${form('consent')} button[type="submit"]`);
  await callback;
  await waitReady(page);
  const result = await page.evaluate(() => document.body.dataset.login);
  if (result !== 'logged in') throw new Error(`OAuth login failed: ${result}`);
}

/** GoTrue password login in the page; the page hands the answer to the broker with `setSession`. */
export async function gotrueLogin(page: Page, email: string, password: string): Promise<void> {
  const result = await page.evaluate(
    ([e, p]) => (globalThis as unknown as PageGlobal).interop.gotrueLogin(e, p),
    [email, password] as const,
  );
  if (result !== 'logged in') throw new Error(`GoTrue login failed: ${result}`);
}
