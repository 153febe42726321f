// Worker control: stopping the context's service workers, hard reloads, and pages the worker
// does (or, deliberately, does not) control. Kept free of the `test` object so the benchmarks
// can use it outside the runner.
import type { BrowserContext, Page } from '@playwright/test';
import type { TestServer } from '../fixtures.js';
import { openDemo, type DemoQuery } from './tabs.js';

/**
 * Why a test runs in Chromium only: what it needs exists only as a CDP command. Use with
 * `test.skip(({ browserName }) => browserName !== 'chromium', reason)`.
 */
export const CHROMIUM_ONLY = {
  stopWorker:
    'kills the worker mid-event (a refresh in flight) with CDP ServiceWorker.stopAllWorkers; Firefox only idles a worker out once no event is pending (docs/platform-facts.md §15)',
  stopPolledWorker:
    'stops the worker while the demo polls status every second (the polls are what finds the damage); Firefox idles out only a quiet worker, and CDP is the only stop mid-traffic',
  clearStorage:
    "clears the origin's IndexedDB under the running worker with CDP Storage.clearDataForOrigin, which also closes the worker's open connection",
  cdpHelpers: 'checks the CDP helpers themselves (stopAllWorkers, a hard reload)',
  hardReload:
    'a hard reload that leaves the page uncontrolled is CDP Page.reload({ ignoreCache }); Playwright has no engine-neutral shift+reload',
  installability: 'PWA installability errors come from CDP Page.getInstallabilityErrors',
  workerEvaluate:
    'evaluates code inside the service worker (context.serviceWorkers()), which Playwright offers in Chromium only',
  persistentContext:
    "a persistent context's browser closed itself mid-test under Playwright 1.64.1's Firefox BiDi (page.goto: target closed), before anything of the library ran",
  versionTrace:
    "traces the registration's worker versions with CDP ServiceWorker.workerVersionUpdated (docs/platform-facts.md §13)",
  routeWorkerFetch:
    "rewrites the worker's own fetch with context.route; under Firefox BiDi the route did not rewrite the answer the worker got (docs/platform-facts.md §15)",
} as const;

/**
 * Firefox stops a worker this long after its last event when the spec asks for `idleStops`
 * (e2e/fixtures.ts sets the preferences per launch; Firefox's default is 30 s). A `waitUntil` or
 * `respondWith` still pending keeps the worker up to the extended timeout, so it idles out only
 * when quiet, never mid-refresh (docs/platform-facts.md §15).
 */
export const FIREFOX_IDLE_PREFS = {
  'dom.serviceWorkers.idle_timeout': 1_000,
  'dom.serviceWorkers.idle_extended_timeout': 30_000,
} as const;

/**
 * Stops every running service worker of the context and resolves once each one that was running
 * has stopped at least once. It does not require them to stay stopped: a fetch or message in
 * flight, or a tab's next call, restarts the worker at once (that restart is usually what a test
 * is about).
 * - Chromium: CDP `ServiceWorker.stopAllWorkers` (docs/platform-facts.md §2), at once, even
 *   mid-event.
 * - Firefox: the engine's own idle timeout (the spec's `idleStops`), so the caller must leave the
 *   workers quiet: no call, request or status poll until this resolves. Nothing in the page can
 *   see a stop without waking the worker, so this waits twice the idle timeout plus a margin, and
 *   the spec checks afterwards that a new instance answered (`workerInstance` in `status()`).
 */
export async function stopServiceWorkers(
  context: BrowserContext,
  page: Page,
  timeoutMs = 10_000,
): Promise<void> {
  if (context.browser()?.browserType().name() === 'firefox') return idleOut(page);
  const cdp = await context.newCDPSession(page);
  const known = new Set<string>();
  const running = new Set<string>();
  const stopped = new Set<string>();
  let stopping = false;
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) {
      known.add(v.versionId);
      if (!stopping && v.runningStatus !== 'stopped') running.add(v.versionId);
      if (stopping && v.runningStatus === 'stopped') stopped.add(v.versionId);
    }
  });
  try {
    // `enable` is required before `stopAllWorkers`; it also replays the current versions.
    await cdp.send('ServiceWorker.enable');
    const deadline = Date.now() + timeoutMs;
    while (known.size === 0) {
      if (Date.now() > deadline) throw new Error('stopServiceWorkers: no service worker version reported');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stopping = true;
    await cdp.send('ServiceWorker.stopAllWorkers');
    while ([...running].some((id) => !stopped.has(id))) {
      if (Date.now() > deadline) throw new Error('stopServiceWorkers: a worker never reported stopped');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/**
 * Firefox: leaves the workers quiet until the idle timeout stopped them (twice the timeout, plus a
 * margin). Time is the subject: nothing in a page can observe the stop without waking the worker
 * (docs/platform-facts.md §15), so callers check afterwards that a new worker instance answered.
 */
function idleOut(page: Page): Promise<void> {
  return page.waitForTimeout(2 * FIREFOX_IDLE_PREFS['dom.serviceWorkers.idle_timeout'] + 500);
}

/**
 * Shift+reload: `Page.reload` with `ignoreCache`, then waits for `load`. The reloaded page is
 * not controlled by the service worker (docs/platform-facts.md §5).
 */
export async function hardReload(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const loaded = page.waitForEvent('load');
    await cdp.send('Page.reload', { ignoreCache: true });
    await loaded;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** Waits until `navigator.serviceWorker.controller` is non-null in the page. */
export async function waitForController(page: Page, timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: timeoutMs,
  });
}

/**
 * A look at each message a page posts to a service worker, before it goes: returns the message
 * to send (the same one or a replacement), or null to drop it.
 */
export type PostHook = (worker: ServiceWorker, message: unknown) => unknown;

/** The page global that {@link hookWorkerPosts} reads its hooks from, in order. */
export type PostHooks = { __postHooks: PostHook[] };

/**
 * In-page, self-contained (for `page.evaluate` or `page.addInitScript`): routes every
 * `ServiceWorker.prototype.postMessage` through the hooks in `globalThis.__postHooks`. Installs
 * once per document; add hooks afterwards with a second script that pushes to the array.
 */
export function hookWorkerPosts(): void {
  const g = globalThis as unknown as Partial<PostHooks>;
  if (g.__postHooks) return;
  const hooks: PostHook[] = (g.__postHooks = []);
  const post = ServiceWorker.prototype.postMessage as (
    this: ServiceWorker,
    message: unknown,
    transfer: Transferable[],
  ) => void;
  ServiceWorker.prototype.postMessage = function (this: ServiceWorker, message: unknown, transfer?: unknown) {
    let next = message;
    for (const hook of hooks) {
      next = hook(this, next);
      if (next === null) return;
    }
    return post.call(this, next, (transfer ?? []) as Transferable[]);
  } as typeof ServiceWorker.prototype.postMessage;
}

/**
 * From the next load on, the page stays uncontrolled, as in a browser where the claim does not
 * take: its client's `claim` call reaches the worker as a `status` call instead.
 */
export async function keepUncontrolled(page: Page): Promise<void> {
  await page.addInitScript(hookWorkerPosts);
  await page.addInitScript(() => {
    (globalThis as unknown as PostHooks).__postHooks.push((_worker, message) => {
      const m = message as { __swTokenBroker?: number; call?: { path?: string[] } } | null;
      return m?.__swTokenBroker === 1 && m.call?.path?.[0] === 'claim'
        ? { ...m, call: { ...m.call, path: ['status'] } }
        : message;
    });
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

/** Counts `controllerchange` events from now on (read with {@link controllerChanges}). */
export function countControllerChanges(page: Page): Promise<void> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { __controllerChanges: number };
    g.__controllerChanges = 0;
    navigator.serviceWorker.addEventListener('controllerchange', () => g.__controllerChanges++);
  });
}

/** `controllerchange` events since {@link countControllerChanges}. */
export function controllerChanges(page: Page): Promise<number> {
  return page.evaluate(
    () => (globalThis as unknown as { __controllerChanges?: number }).__controllerChanges ?? 0,
  );
}
