// The one storm driver: a tab sends bursts of API requests until told to stop, pausable, and
// reports what came back. A "busy tab" is a storm of one request every 250 ms.
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
}

/** What one tab's storm came to. A request succeeded when it answered 2xx and its body was read. */
export interface StormResult {
  ok: number;
  failed: number;
  /** The first few failures (`<url> answered <status>` or the error), for assertion messages. */
  errors: string[];
}

type StormGlobal = {
  demo?: {
    broker: { fetch: typeof fetch };
    api: { get(url: string, config: object): Promise<unknown> };
  };
  interop?: { broker: { fetch: typeof fetch } };
  __storm?: StormResult & { stop: boolean; paused: boolean; done: Promise<void> };
};

/**
 * Starts an endless series of rounds in the page: `burst` concurrent requests, cycling through
 * `via`, then a pause, until {@link stopStorm}. Every non-2xx answer or rejection counts as a
 * failure.
 */
export async function startStorm(page: Page, options: StormOptions = {}): Promise<void> {
  await page.evaluate(
    ({ burst, pauseMs, via, url, headers }) => {
      const g = globalThis as unknown as StormGlobal;
      const app = g.demo ?? g.interop;
      if (!app) throw new Error('startStorm: no demo or interop page');
      const order: Via[] = via ?? (g.demo ? ['fetch', 'axios'] : ['fetch']);
      const one = async (how: Via): Promise<void> => {
        if (how === 'axios') {
          if (!g.demo) throw new Error('startStorm: axios needs the demo page');
          // Absolute base: the demo's instance is rooted at /api.
          await g.demo.api.get(url, { baseURL: location.origin, headers });
          return;
        }
        const send = how === 'fetch' ? fetch : app.broker.fetch;
        const response = await send(url, { headers, cache: 'no-store' });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      };
      const storm = {
        ok: 0,
        failed: 0,
        errors: [] as string[],
        stop: false,
        paused: false,
        done: Promise.resolve(),
      };
      g.__storm = storm;
      storm.done = (async () => {
        for (let round = 0; !storm.stop; round++) {
          if (storm.paused) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            continue;
          }
          const results = await Promise.allSettled(
            Array.from({ length: burst }, (_, i) => one(order[(round + i) % order.length] ?? 'fetch')),
          );
          for (const r of results) {
            if (r.status === 'fulfilled') storm.ok++;
            else {
              storm.failed++;
              if (storm.errors.length < 10)
                storm.errors.push(String((r.reason as Error)?.message ?? r.reason));
            }
          }
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      })();
    },
    {
      burst: options.burst ?? 8,
      pauseMs: options.pauseMs ?? 40,
      via: options.via,
      url: options.url ?? '/api/me',
      headers: options.headers ?? {},
    },
  );
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
  return page.evaluate(async () => {
    const storm = (globalThis as unknown as StormGlobal).__storm;
    if (!storm) throw new Error('stopStorm: no storm started in this page');
    storm.stop = true;
    await storm.done;
    return { ok: storm.ok, failed: storm.failed, errors: storm.errors };
  });
}

/** Pauses or resumes the storm after its current round, keeping its tally. */
export function pauseStorm(page: Page, paused: boolean): Promise<void> {
  return page.evaluate((p) => {
    const storm = (globalThis as unknown as StormGlobal).__storm;
    if (!storm) throw new Error('pauseStorm: no storm started in this page');
    storm.paused = p;
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
