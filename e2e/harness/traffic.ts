// The one storm driver: a tab sends API requests until told to stop, pausable, and reports what
// came back: in rounds of concurrent requests, or in lanes that each send back to back. A "busy
// tab" is a storm of one request every 250 ms.
import type { Page } from '@playwright/test';
import { expect, type TestServer } from '../fixtures.js';
import { onlyFamily } from './server-counters.js';

/**
 * How a storm request is sent: plain `fetch`, the demo's plain axios instance (demo page only),
 * or the client's `fetch` (`broker.fetch`, demo or interop page).
 */
export type Via = 'fetch' | 'axios' | 'broker-fetch';

export interface StormOptions {
  /** Concurrent requests per round. @default 8 */
  burst?: number;
  /** Pause after each round. @default 40 */
  pauseMs?: number;
  /** Cycled through, one per request. @default ['fetch', 'axios'] on the demo, ['fetch'] elsewhere */
  via?: Via[];
  /** Same-origin path or absolute URL. @default '/api/me' */
  url?: string;
  headers?: Record<string, string>;
  /** Tags each request (`?storm=<tag>-<n>`) and reports the tags of those that succeeded. */
  tag?: string;
  /**
   * Each of the `burst` requests runs in its own lane, the next one sent as soon as it settled
   * (after `pauseMs`), instead of rounds that wait for their slowest request. @default false
   */
  lanes?: boolean;
  /** On the client's `update-stalled` event, hold new requests this long (what the README advises). @default 0 */
  holdOnStall?: number;
}

/** What one tab's storm came to. A request succeeded when it answered 2xx and its body was read. */
export interface StormResult {
  ok: number;
  failed: number;
  /** The first few failures (`<url> answered <status>` or the error), for assertion messages. */
  errors: string[];
  /** With {@link StormOptions.tag}: the tag of every request that succeeded. */
  okTags: string[];
}

type StormGlobal = {
  demo?: {
    broker: { fetch: typeof fetch };
    api: { get(url: string, config: object): Promise<unknown> };
  };
  interop?: { broker: { fetch: typeof fetch } };
  __storm?: StormResult & { stop: boolean; pausedUntil: number; done: Promise<void> };
};

type StormApp = { broker: { fetch: typeof fetch; on?(event: string, handler: () => void): unknown } };

/** {@link StormOptions} with every default filled in, as the in-page driver takes them. */
export interface StormPlan {
  burst: number;
  pauseMs: number;
  via: Via[] | undefined;
  url: string;
  headers: Record<string, string>;
  /** When set, request n carries `?storm=<tag>-<n>` so it can be matched to a server record. */
  tag: string | undefined;
  lanes: boolean;
  holdOnStall: number;
}

/**
 * In-page: starts the storm. Self-contained (it runs through `page.evaluate` or WebDriver's
 * `executeScript`), so it names nothing outside itself.
 */
export function runStormInPage(plan: StormPlan): void {
  const { burst, pauseMs, via, url, headers, tag, lanes, holdOnStall } = plan;
  const g = globalThis as unknown as StormGlobal;
  const app = (g.demo ?? g.interop) as StormApp | undefined;
  if (!app) throw new Error('startStorm: no demo or interop page');
  const order: Via[] = via ?? (g.demo ? ['fetch', 'axios'] : ['fetch']);
  const storm = {
    ok: 0,
    failed: 0,
    errors: [] as string[],
    okTags: [] as string[],
    stop: false,
    pausedUntil: 0,
    done: Promise.resolve(),
  };
  g.__storm = storm;
  if (holdOnStall > 0)
    app.broker.on?.('update-stalled', () => (storm.pausedUntil = Date.now() + holdOnStall));
  let sent = 0;
  const one = async (how: Via): Promise<string | undefined> => {
    const id = tag === undefined ? undefined : `${tag}-${sent++}`;
    const target = id === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}storm=${id}`;
    if (how === 'axios') {
      if (!g.demo) throw new Error('startStorm: axios needs the demo page');
      // Absolute base: the demo's instance is rooted at /api.
      await g.demo.api.get(target, { baseURL: location.origin, headers });
      return id;
    }
    const send = how === 'fetch' ? fetch : app.broker.fetch;
    const response = await send(target, { headers, cache: 'no-store' });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${target} answered ${response.status}`);
    return id;
  };
  const tally = (r: PromiseSettledResult<string | undefined>): void => {
    if (r.status === 'fulfilled') {
      storm.ok++;
      if (r.value !== undefined) storm.okTags.push(r.value);
    } else {
      storm.failed++;
      if (storm.errors.length < 10) storm.errors.push(String((r.reason as Error)?.message ?? r.reason));
    }
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Waits out a pause; true when it waited (the caller looks at `stop` again). */
  const held = async (): Promise<boolean> => {
    const wait = storm.pausedUntil - Date.now();
    if (wait <= 0) return false;
    await sleep(Math.min(wait, 50));
    return true;
  };
  const lane = async (n: number): Promise<void> => {
    for (let i = n; !storm.stop; i += burst) {
      if (await held()) continue;
      const [r] = await Promise.allSettled([one(order[i % order.length] ?? 'fetch')]);
      if (r) tally(r);
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const rounds = async (): Promise<void> => {
    for (let round = 0; !storm.stop; round++) {
      if (await held()) continue;
      const results = await Promise.allSettled(
        Array.from({ length: burst }, (_, i) => one(order[(round + i) % order.length] ?? 'fetch')),
      );
      for (const r of results) tally(r);
      await sleep(pauseMs);
    }
  };
  storm.done = lanes
    ? Promise.all(Array.from({ length: burst }, (_, n) => lane(n))).then(() => undefined)
    : rounds();
}

/** In-page: stops the storm once its current round settled; its tally. Self-contained. */
export async function stopStormInPage(): Promise<StormResult> {
  const storm = (globalThis as unknown as StormGlobal).__storm;
  if (!storm) throw new Error('stopStorm: no storm started in this page');
  storm.stop = true;
  storm.pausedUntil = 0;
  await storm.done;
  return { ok: storm.ok, failed: storm.failed, errors: storm.errors, okTags: storm.okTags };
}

/** Fills in the defaults of {@link StormOptions}. */
export function stormPlan(options: StormOptions = {}): StormPlan {
  return {
    burst: options.burst ?? 8,
    pauseMs: options.pauseMs ?? 40,
    via: options.via,
    url: options.url ?? '/api/me',
    headers: options.headers ?? {},
    tag: options.tag,
    lanes: options.lanes ?? false,
    holdOnStall: options.holdOnStall ?? 0,
  };
}

/**
 * Starts an endless series of rounds in the page: `burst` concurrent requests, cycling through
 * `via`, then a pause, until {@link stopStorm}. Every non-2xx answer or rejection counts as a
 * failure.
 */
export async function startStorm(page: Page, options: StormOptions = {}): Promise<void> {
  await page.evaluate(runStormInPage, stormPlan(options));
}

/**
 * A busy tab: one plain `GET /api/me` every ~250 ms. The pauses matter: Chromium hands a
 * registration over to a new worker only at a moment when the old one has no event in flight,
 * so tabs that never pause (or a loaded CI box where their requests always overlap) hold a new
 * version off indefinitely.
 */
export function startBusy(page: Page): Promise<void> {
  return startStorm(page, { burst: 1, pauseMs: 250, via: ['fetch'] });
}

/** Stops the page's storm once its current round settled and returns its tally. */
export function stopStorm(page: Page): Promise<StormResult> {
  return page.evaluate(stopStormInPage);
}

/**
 * Pauses (`true`, until resumed; or a number of ms) or resumes (`false`) the storm once the
 * requests in flight settled, keeping its tally.
 */
export function pauseStorm(page: Page, paused: boolean | number): Promise<void> {
  return page.evaluate((p) => {
    const storm = (globalThis as unknown as StormGlobal).__storm;
    if (!storm) throw new Error('pauseStorm: no storm started in this page');
    storm.pausedUntil = p === true ? Number.POSITIVE_INFINITY : p === false ? 0 : Date.now() + p;
  }, paused);
}

/** How many requests the storm has completed so far. */
export function stormCount(page: Page): Promise<number> {
  return page.evaluate(() => {
    const storm = (globalThis as unknown as StormGlobal).__storm;
    if (!storm) throw new Error('stormCount: no storm started in this page');
    return storm.ok + storm.failed;
  });
}

/**
 * Time is the subject: lets the tabs' storms run until the server minted the token of lifetime
 * `lifetimes + 1` (the tokens of lifetimes 1…`lifetimes` were each replaced), then stops them
 * and checks that every tab completed more than `minOkPerTab` requests and none failed.
 */
export async function stormAcrossLifetimes(
  server: TestServer,
  tabs: Page[],
  lifetimes: number,
  ttlSeconds: number,
  minOkPerTab: number,
): Promise<StormResult[]> {
  await expect
    .poll(() => onlyFamily(server.control.counters()).generation, {
      timeout: (lifetimes + 2) * ttlSeconds * 1000,
      intervals: [50],
    })
    .toBeGreaterThanOrEqual(1 + lifetimes);
  const storms = await Promise.all(tabs.map((tab) => stopStorm(tab)));
  for (const [i, storm] of storms.entries()) {
    expect(storm.failed, `tab ${i} failures: ${storm.errors.join('; ')}`).toBe(0);
    expect(storm.ok, `tab ${i} completed requests`).toBeGreaterThan(minOkPerTab);
  }
  return storms;
}
