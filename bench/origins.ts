import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { startServer, type RunningServer } from '../demo/server/index.js';
import { writeWorker } from '../e2e/harness/counted-workers.js';
import { loginThroughForm, openDemo, type DemoQuery } from '../e2e/harness/tabs.js';
import { newBenchContext, stopServiceWorkers } from './browser.js';
import { startLatencyProxy, type Latency } from './latency-proxy.js';
import { isControlled, loginFromPage, registerWorker, type TokenPair } from './page-probes.js';
import { sleep } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEMO_DIR = join(ROOT, 'dist', 'demo');
export const BROKER_SW = join(ROOT, 'dist', 'standalone', 'sw.js');

/** The bare pass-through worker of issue 7, plus the lifecycle lines that make it control at once. */
const PASS_THROUGH_SW = `self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => e.respondWith(fetch(e.request)));
`;

/** An empty page under every origin's root: requests from it carry no app code's noise. */
const BENCH_PAGE = '<!doctype html><meta charset="utf-8"><title>bench</title><p>bench</p>\n';

/** Files the bench servers serve: a copy of the built demo plus `bench.html`, and the pass-through worker. */
export interface BenchSite {
  staticDir: string;
  passThroughSw: string;
  remove(): void;
}

export function prepareSite(): BenchSite {
  const dir = mkdtempSync(join(tmpdir(), 'sw-token-broker-bench-'));
  const staticDir = join(dir, 'static');
  cpSync(DEMO_DIR, staticDir, { recursive: true });
  writeFileSync(join(staticDir, 'bench.html'), BENCH_PAGE);
  const passThroughSw = join(dir, 'pass-through-sw.js');
  writeFileSync(passThroughSw, PASS_THROUGH_SW);
  return { staticDir, passThroughSw, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `broker` is the standalone `sw.js` as the demo registers it; `own-worker` an app's worker with its config (e2e/harness/counted-workers.ts). */
export type VariantName = 'none' | 'pass-through' | 'broker' | 'own-worker';

/** One origin (its own server) with one tab on `/bench.html`. */
export interface Variant {
  name: VariantName;
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  /** Tokens the page holds itself (no worker, pass-through); null for the broker, whose worker holds them. */
  tokens: TokenPair | null;
}

/** Registers `close` for the caller's cleanup before anything can fail. */
export type Closer = (close: () => Promise<unknown>) => void;

export async function startOrigin(
  site: BenchSite,
  swScript: string | undefined,
  accessTtlSeconds: number,
  onClose: Closer,
  latency?: Latency,
): Promise<RunningServer> {
  const server = await startServer({
    testControl: true,
    staticDir: site.staticDir,
    accessTtlSeconds,
    ...(swScript ? { swScript } : {}),
  });
  onClose(() => server.close());
  if (!latency) return server;
  // The page's origin is the proxy's: every request of the page and of its worker pays the delay.
  const proxy = await startLatencyProxy(server.url, latency);
  onClose(() => proxy.close());
  return { ...server, url: proxy.url };
}

/**
 * Sets a variant up and leaves its tab idle on `/bench.html`, logged in. The broker logs in
 * through the demo page (the worker captures the tokens), then the tab moves to the empty page,
 * which the worker controls; with no client code there, nothing wakes the worker on its own.
 */
export async function openVariant(
  browser: Browser,
  site: BenchSite,
  name: VariantName,
  accessTtlSeconds: number,
  onClose: Closer,
  query: DemoQuery = {},
  latency?: Latency,
): Promise<Variant> {
  const own = name === 'own-worker' ? await writeWorker('own-worker', false) : undefined;
  if (own) onClose(() => own.remove());
  const swScript = name === 'broker' ? BROKER_SW : name === 'pass-through' ? site.passThroughSw : own?.path;
  const server = await startOrigin(site, swScript, accessTtlSeconds, onClose, latency);
  const context = await newBenchContext(browser);
  onClose(() => context.close());
  let page: Page;
  let tokens: TokenPair | null = null;
  if (name === 'broker' || name === 'own-worker') {
    const demo = await openDemo(context, server, query);
    await loginThroughForm(demo);
    page = await context.newPage();
    await page.goto(`${server.url}/bench.html`);
    await demo.close();
    if (!(await page.evaluate(isControlled))) throw new Error('the broker does not control /bench.html');
    // The worker started in the demo tab's renderer process. Restart it so it runs next to
    // /bench.html like the pass-through worker, which registers from that page: a worker in
    // another process pays cross-process response hand-over on every request (measured: most
    // of the 500-parallel gap), which would be the bench's layout, not the broker.
    await refreshesQuiet(server);
    await stopServiceWorkers(context, page);
  } else {
    page = await context.newPage();
    await page.goto(`${server.url}/bench.html`);
    if (name === 'pass-through' && !(await page.evaluate(registerWorker)))
      throw new Error('the pass-through worker never took control');
    tokens = await page.evaluate(loginFromPage);
  }
  return { name, server, context, page, tokens };
}

/**
 * Waits (bounded) until the server has answered every refresh call and none arrived for
 * `quietMs`. A CDP stop kills a worker mid-event: one killed between the server's rotation and
 * its own write of the answer has lost the rotated token, and its next refresh meets reuse
 * detection (a crash, which is not what the bench measures; with 0.5 s tokens the demo tab
 * refreshes every few hundred milliseconds until it closes).
 */
async function refreshesQuiet(server: RunningServer, quietMs = 250, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let seen = -1;
  for (;;) {
    const c = server.control.counters();
    const answered = c.rotations + c.graceReuses + c.reuseDetections + c.invalidGrants;
    if (c.refreshCalls === answered && c.refreshCalls === seen) return;
    if (Date.now() >= end) throw new Error('refresh calls did not settle before the worker restart');
    seen = c.refreshCalls === answered ? c.refreshCalls : -1;
    await sleep(quietMs);
  }
}
