// Drives the interop page from the outside: opening it, its logins, one-off API calls. Events and
// storms go through the shared harness (../harness/events.ts, ../harness/traffic.ts).
import type { BrowserContext, Page } from '@playwright/test';
import type { CallResult } from './page-config.js';

type PageGlobal = {
  interop: {
    callApi(url: string, headers?: Record<string, string>): Promise<CallResult>;
    oidcLogin(): Promise<void>;
    oidcLogout(): Promise<void>;
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

/** Each devInteractions form names its prompt in a hidden field: wait for the right page, not just any button. */
const providerForm = (prompt: string) => `form:has(input[name="prompt"][value="${prompt}"])`;

/**
 * Starts the helper's login in `page` (`oidc.login()`) and passes the provider's own login
 * form (any login is accepted). Resolves on the consent page.
 */
export async function startOidcLogin(page: Page, login = 'interop-user'): Promise<void> {
  await page.evaluate(() => void (globalThis as unknown as PageGlobal).interop.oidcLogin());
  await page.waitForSelector(providerForm('login'));
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await page.click(`${providerForm('login')} button[type="submit"]`);
  await page.waitForSelector(providerForm('consent'));
}

/** Back on `/callback`: what the page's `handleCallback` concluded, and the URL the provider sent it to. */
export async function callbackOutcome(
  page: Page,
  appUrl: string,
  act: () => Promise<void>,
): Promise<{ login: string | undefined; callbackUrl: string; finalUrl: string }> {
  let callbackUrl = '';
  const arrived = page.waitForURL(
    (url) => {
      // The first URL the provider's redirect lands on still carries the code and state.
      if (url.href.startsWith(`${appUrl}/callback`) && !callbackUrl) callbackUrl = url.href;
      return callbackUrl !== '';
    },
    { timeout: 20_000 },
  );
  await act();
  await arrived;
  await waitReady(page);
  return { login: await page.evaluate(() => document.body.dataset.login), callbackUrl, finalUrl: page.url() };
}

/**
 * The provider's authorization code + PKCE flow through the helper in `page`: `oidc.login()`,
 * the provider's login form and consent page (`offline_access` is asked for with
 * `prompt=consent`), then `/callback`, where `oidc.handleCallback(broker)` has the worker
 * exchange the code. Returns the URL the provider redirected to (with code and state).
 */
export async function oidcLogin(page: Page, appUrl: string, login = 'interop-user'): Promise<string> {
  await startOidcLogin(page, login);
  const outcome = await callbackOutcome(page, appUrl, () =>
    page.click(`${providerForm('consent')} button[type="submit"]`),
  );
  if (outcome.login !== `logged in as ${login}`) throw new Error(`OIDC login failed: ${outcome.login}`);
  return outcome.callbackUrl;
}

/**
 * `oidc.logout(broker)` in `page`: the worker logs out (and revokes), then the browser goes to
 * the provider's end-session page, where the user confirms; the provider sends it back to the
 * app's post-logout redirect URI.
 */
export async function oidcLogout(page: Page, appUrl: string): Promise<void> {
  await page.evaluate(() => void (globalThis as unknown as PageGlobal).interop.oidcLogout());
  await page.click('button[name="logout"][value="yes"]');
  await page.waitForURL((url) => url.href.startsWith(`${appUrl}/`) && !url.pathname.startsWith('/callback'));
  await waitReady(page);
}

/** GoTrue password login in the page; the page hands the answer to the broker with `setSession`. */
export async function gotrueLogin(page: Page, email: string, password: string): Promise<void> {
  const result = await page.evaluate(
    ([e, p]) => (globalThis as unknown as PageGlobal).interop.gotrueLogin(e, p),
    [email, password] as const,
  );
  if (result !== 'logged in') throw new Error(`GoTrue login failed: ${result}`);
}
