// The WebKit suite's fixtures: the demo server (as e2e/fixtures.ts starts it), the recording
// proxy in front of it, and demo tabs in one MiniBrowser session. In-page steps reuse the
// harness's self-contained page functions (event recorder, storm driver).
import { startServer } from '../../demo/server/index.js';
import { demoStaticDir, demoSwScript } from '../fixtures.js';
import { installEventRecorder, type RecordedEvent } from '../harness/events.js';
import {
  runStormInPage,
  type StormOptions,
  type StormResult,
  stopStormInPage,
  stormPlan,
} from '../harness/traffic.js';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.js';
import type { WebKitSession } from './webdriver.js';

export type DemoServer = Awaited<ReturnType<typeof startServer>>;

/** A demo server with test control and the proxy the browser talks to (its origin is the app's). */
export async function startApp(accessTtlSeconds: number): Promise<{
  server: DemoServer;
  proxy: RecordingProxy;
  close(): Promise<void>;
}> {
  const server = await startServer({
    accessTtlSeconds,
    testControl: true,
    staticDir: demoStaticDir,
    swScript: demoSwScript,
  });
  const proxy = await startRecordingProxy(server.port);
  return {
    server,
    proxy,
    close: async () => {
      await proxy.close();
      await server.close();
    },
  };
}

/** Polls `check` every 50 ms until it returns true; throws `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Opens the demo (query as in e2e/harness/tabs.ts) in a new tab and waits for its client. */
export async function openDemo(session: WebKitSession, origin: string, query: Record<string, number> = {}) {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  const tab = await session.openTab(`${origin}/${search ? `?${search}` : ''}`);
  // Generous: a loaded 2-core machine has taken over 10 s to start MiniBrowser's page and worker.
  await waitFor(
    'the demo client',
    () => session.run(tab, () => document.body.dataset.ready === 'true', undefined),
    30_000,
  );
  await session.run(tab, installEventRecorder, undefined);
  return tab;
}

export async function loginThroughForm(session: WebKitSession, tab: string): Promise<void> {
  await session.run(tab, () => document.getElementById('login')?.click(), undefined);
  await waitFor(
    'logged in',
    () => session.run(tab, () => document.getElementById('state')?.textContent === 'logged in', undefined),
    30_000,
  );
}

export function recordedEvents(session: WebKitSession, tab: string, type: RecordedEvent['type']) {
  return session
    .run(
      tab,
      () => (globalThis as unknown as { __brokerEvents?: RecordedEvent[] }).__brokerEvents ?? [],
      undefined,
    )
    .then((events) => events.filter((e) => e.type === type));
}

export function loggedIn(session: WebKitSession, tab: string): Promise<boolean> {
  return session.run(
    tab,
    () =>
      (
        globalThis as unknown as { demo: { broker: { status(): Promise<{ loggedIn: boolean }> } } }
      ).demo.broker
        .status()
        .then((s) => s.loggedIn),
    undefined,
  );
}

/** Plain `fetch(path)` in the tab: status and the generation the API answered with. */
export function fetchIn(session: WebKitSession, tab: string, path = '/api/me') {
  return session.run(
    tab,
    async (url) => {
      const response = await fetch(url, { cache: 'no-store' });
      const body = (await response.json().catch(() => ({}))) as { generation?: number };
      return { status: response.status, generation: body.generation ?? null };
    },
    path,
  );
}

export function startStorm(session: WebKitSession, tab: string, options: StormOptions): Promise<void> {
  return session.run(tab, runStormInPage, stormPlan(options));
}

export function stopStorm(session: WebKitSession, tab: string): Promise<StormResult> {
  return session.run(tab, stopStormInPage, undefined);
}

/** Closes every tab but the first, leaving the session for the next test. */
export async function closeExtraTabs(session: WebKitSession): Promise<void> {
  const [first, ...rest] = await session.driver.getAllWindowHandles();
  for (const handle of rest) {
    await session.driver.switchTo().window(handle);
    await session.driver.close();
  }
  if (first) {
    await session.driver.switchTo().window(first);
    await session.driver.get('about:blank');
  }
}
