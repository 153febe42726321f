// Helpers for the storm, offline-blip, revoked-family, body-replay, hard-reload, late-401,
// proactive-idle and flaky-endpoint specs. They observe from the outside only: what the demo
// server counted, and what the page's client emitted or its requests returned.
import type { Page } from '@playwright/test';
import type { Counters, FamilyCounters, RequestRecord } from '../demo/server/index.js';
import { expect, type TestServer } from './fixtures.js';

/** An event the page's client emitted, stamped with the page clock (the test process shares it). */
export interface BrokerEvent {
  type: 'logout' | 'refreshed' | 'session' | 'error' | 'control';
  /** `Date.now()` in the page when the handler ran. */
  at: number;
  reason?: string;
  trigger?: string;
  generation?: number;
  code?: string;
}

/** What one tab's storm came to. */
export interface StormResult {
  ok: number;
  failed: number;
  /** The first few failure messages, for the assertion message. */
  errors: string[];
}

/** How a storm request is sent: the demo's plain fetch, its plain axios instance, or the client's `fetch`. */
export type Via = 'fetch' | 'axios' | 'broker-fetch';

type PageGlobal = {
  demo: {
    broker: {
      on(type: string, handler: (payload: Record<string, unknown>) => void): () => void;
      status(): Promise<{
        loggedIn: boolean;
        generation: number;
        expiresIn: number | null;
        refreshDueIn: number | null;
        controlled: boolean;
      }>;
      fetch: typeof fetch;
    };
    meWithFetch(): Promise<unknown>;
    meWithAxios(): Promise<unknown>;
    api: { get(url: string): Promise<{ data: unknown }> };
  };
  __brokerEvents?: BrokerEvent[];
  __storm?: StormResult & { stop: boolean; done: Promise<void> };
};

/** Starts recording the client's events in the page; call before the scenario. Idempotent. */
export async function recordBrokerEvents(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobal;
    if (g.__brokerEvents) return;
    const events: BrokerEvent[] = (g.__brokerEvents = []);
    for (const type of ['logout', 'refreshed', 'session', 'error', 'control'] as const) {
      g.demo.broker.on(type, (payload) => {
        const error = payload.error as { code?: unknown } | undefined;
        events.push({
          type,
          at: Date.now(),
          ...(typeof payload.reason === 'string' ? { reason: payload.reason } : {}),
          ...(typeof payload.trigger === 'string' ? { trigger: payload.trigger } : {}),
          ...(typeof payload.generation === 'number' ? { generation: payload.generation } : {}),
          ...(typeof error?.code === 'string' ? { code: error.code } : {}),
        });
      });
    }
  });
}

/** Events recorded so far in the page, optionally of one type. */
export async function brokerEvents(page: Page, type?: BrokerEvent['type']): Promise<BrokerEvent[]> {
  const all = await page.evaluate(() => (globalThis as unknown as PageGlobal).__brokerEvents ?? []);
  return type ? all.filter((e) => e.type === type) : all;
}

/** The client's status as the page sees it (no token material). */
export function brokerStatus(page: Page) {
  return page.evaluate(() => (globalThis as unknown as PageGlobal).demo.broker.status());
}

/**
 * Starts an endless series of bursts in the page: `burst` concurrent `GET /api/me`, cycling
 * through `via`, then a pause, until {@link stopStorm}. Every non-2xx answer or rejection counts
 * as a failure.
 */
export async function startStorm(
  page: Page,
  options: { burst?: number; pauseMs?: number; via?: Via[] } = {},
): Promise<void> {
  const { burst = 8, pauseMs = 40, via = ['fetch', 'axios'] } = options;
  await page.evaluate(
    ({ burst, pauseMs, via }) => {
      const g = globalThis as unknown as PageGlobal;
      const one = async (how: Via): Promise<void> => {
        if (how === 'fetch') await g.demo.meWithFetch();
        else if (how === 'axios') await g.demo.meWithAxios();
        else {
          const response = await g.demo.broker.fetch('/api/me');
          if (!response.ok) throw new Error(`client fetch /api/me answered ${response.status}`);
          await response.json();
        }
      };
      const storm = { ok: 0, failed: 0, errors: [] as string[], stop: false, done: Promise.resolve() };
      g.__storm = storm;
      storm.done = (async () => {
        for (let round = 0; !storm.stop; round++) {
          const results = await Promise.allSettled(
            Array.from({ length: burst }, (_, i) => one(via[(round + i) % via.length]!)),
          );
          for (const r of results) {
            if (r.status === 'fulfilled') storm.ok++;
            else {
              storm.failed++;
              if (storm.errors.length < 5)
                storm.errors.push(String((r.reason as Error)?.message ?? r.reason));
            }
          }
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      })();
    },
    { burst, pauseMs, via },
  );
}

/** Stops the page's storm after its current burst and returns its tally. */
export function stopStorm(page: Page): Promise<StormResult> {
  return page.evaluate(async () => {
    const storm = (globalThis as unknown as PageGlobal).__storm!;
    storm.stop = true;
    await storm.done;
    return { ok: storm.ok, failed: storm.failed, errors: storm.errors };
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

/** The one token family the server knows (the scenarios log in once). */
export function onlyFamily(counters: Counters): FamilyCounters {
  const families = Object.values(counters.families);
  if (families.length !== 1)
    throw new Error(`expected one token family, the server knows ${families.length}`);
  return families[0]!;
}

/** Requests to the app's API, i.e. not to the auth endpoints, the test control or static files. */
export function apiRequests(counters: Counters, path?: string): RequestRecord[] {
  return counters.requests.filter((r) =>
    path ? r.path === path : r.path.startsWith('/api/') && !r.path.startsWith('/api/auth/'),
  );
}

/** When the test process first saw a family generation, bracketed by the poll before it. */
export interface GenerationSeen {
  generation: number;
  /** The server issued the generation after this (the previous poll had not seen it). */
  after: number;
  /** ... and at or before this. */
  by: number;
}

/**
 * Polls the in-process server every `intervalMs` and records when each generation of the one
 * token family appeared. The server runs in the test process, so each poll is a direct read;
 * the bracket [after, by] bounds the moment the server minted the generation, without
 * trusting any timer in the browser.
 */
export function watchGenerations(server: TestServer, intervalMs = 20) {
  const seen: GenerationSeen[] = [];
  let last = 0;
  let previousPoll = Date.now();
  const poll = (): void => {
    const now = Date.now();
    const families = Object.values(server.control.counters().families);
    const generation = families.length === 1 ? families[0]!.generation : 0;
    for (let g = last + 1; g <= generation; g++) seen.push({ generation: g, after: previousPoll, by: now });
    last = Math.max(last, generation);
    previousPoll = now;
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    seen,
    stop(): GenerationSeen[] {
      clearInterval(timer);
      poll();
      return seen;
    },
  };
}

/**
 * Checks the refresh timing the server implies: every generation after the first was minted
 * provably before its predecessor's access token expired (`ttlMs` after it was minted), and not
 * provably before the predecessor's refresh was due (`ttlMs − leadMs` after it, less
 * `toleranceMs`). Returns one line per violation, empty when all is well.
 */
export function refreshTimingViolations(
  seen: GenerationSeen[],
  ttlMs: number,
  leadMs: number,
  toleranceMs = 250,
): string[] {
  const problems: string[] = [];
  for (let i = 1; i < seen.length; i++) {
    const prev = seen[i - 1]!;
    const next = seen[i]!;
    // Latest possible mint time of `next` vs earliest possible expiry of `prev`.
    if (next.by >= prev.after + ttlMs) {
      problems.push(
        `generation ${next.generation} minted up to ${next.by - (prev.after + ttlMs)} ms after generation ${prev.generation} expired (poll gaps ${prev.by - prev.after} and ${next.by - next.after} ms)`,
      );
    }
    // Latest possible mint time of `next` vs earliest possible due time of `prev`: only a
    // refresh that was certainly early counts.
    if (next.by < prev.after + ttlMs - leadMs - toleranceMs) {
      problems.push(
        `generation ${next.generation} minted ${prev.after + ttlMs - leadMs - next.by} ms before generation ${prev.generation} was due`,
      );
    }
  }
  return problems;
}

/** The counts a refresh scenario asserts on, in one object so a failure shows all of them. */
export function refreshSummary(counters: Counters) {
  const family = onlyFamily(counters);
  return {
    generation: family.generation,
    refreshCalls: counters.refreshCalls,
    rotations: counters.rotations,
    reuseDetections: counters.reuseDetections,
    graceReuses: counters.graceReuses,
    invalidGrants: counters.invalidGrants,
    unauthorized: counters.unauthorized,
    revoked: family.revoked,
  };
}

/** The {@link refreshSummary} of a clean run: one rotation per lifetime and nothing else. */
export function oneRefreshPerLifetime(lifetimes: number): ReturnType<typeof refreshSummary> {
  return {
    generation: 1 + lifetimes,
    refreshCalls: lifetimes,
    rotations: lifetimes,
    reuseDetections: 0,
    graceReuses: 0,
    invalidGrants: 0,
    unauthorized: 0,
    revoked: false,
  };
}

/**
 * The server's request log in short form, for failure messages: `R` a refresh call, `.` an
 * authorized 200, and `401(g1)` / `401(-)` a rejected API request with the generation its
 * token had when valid (or `-` for an expired or unknown one). Runs of `.` are counted.
 */
export function requestTrail(counters: Counters): string {
  const parts: string[] = [];
  let ok = 0;
  const flush = (): void => {
    if (ok) parts.push(`.×${ok}`);
    ok = 0;
  };
  for (const r of counters.requests) {
    if (r.path === '/api/auth/refresh') {
      flush();
      parts.push(`R${r.status}`);
    } else if (r.path.startsWith('/api/') && !r.path.startsWith('/api/auth/')) {
      if (r.status === 200 && r.authorization) ok++;
      else {
        flush();
        parts.push(`${r.status}(${r.authorization ? `g${r.generation ?? '-'}` : 'no auth'})`);
      }
    }
  }
  flush();
  return parts.join(' ');
}
