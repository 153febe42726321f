// Drives the interop page from the outside: events its client emitted, calls it made, storms.
import type { BrowserContext, Page } from '@playwright/test';
import type { CallResult, RecordedEvent } from './page-config.js';

type PageGlobal = {
  interop: {
    broker: { status(): Promise<{ loggedIn: boolean; generation: number }>; logout(): Promise<void> };
    events: RecordedEvent[];
    callApi(url: string, headers?: Record<string, string>): Promise<CallResult>;
    oidcLogin(): Promise<void>;
    oidcLogout(): Promise<void>;
    gotrueLogin(email: string, password: string): Promise<string>;
  };
  __storm?: StormResult & { stop: boolean; done: Promise<void> };
};

export interface StormResult {
  ok: number;
  failed: number;
  /** The first few failures (status or error), for the assertion message. */
  failures: string[];
}

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

export function events(page: Page, type?: RecordedEvent['type']): Promise<RecordedEvent[]> {
  return page.evaluate(
    (t) => (globalThis as unknown as PageGlobal).interop.events.filter((e) => !t || e.type === t),
    type,
  );
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

export function brokerStatus(page: Page): Promise<{ loggedIn: boolean; generation: number }> {
  return page.evaluate(() => (globalThis as unknown as PageGlobal).interop.broker.status());
}

/** Endless bursts of `burst` concurrent `GET url` with plain fetch, until {@link stopStorm}. */
export async function startStorm(
  page: Page,
  { burst = 8, pauseMs = 40, url = '/api/me', headers = {} as Record<string, string> } = {},
): Promise<void> {
  await page.evaluate(
    ({ burst, pauseMs, url, headers }) => {
      const g = globalThis as unknown as PageGlobal;
      const storm = { ok: 0, failed: 0, failures: [] as string[], stop: false, done: Promise.resolve() };
      g.__storm = storm;
      storm.done = (async () => {
        while (!storm.stop) {
          const results = await Promise.all(
            Array.from({ length: burst }, () => g.interop.callApi(url, headers)),
          );
          for (const r of results) {
            if (r.status === 200) storm.ok++;
            else {
              storm.failed++;
              if (storm.failures.length < 5) storm.failures.push(r.error ?? `status ${r.status}`);
            }
          }
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      })();
    },
    { burst, pauseMs, url, headers },
  );
}

export function stopStorm(page: Page): Promise<StormResult> {
  return page.evaluate(async () => {
    const storm = (globalThis as unknown as PageGlobal).__storm!;
    storm.stop = true;
    await storm.done;
    return { ok: storm.ok, failed: storm.failed, failures: storm.failures };
  });
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
