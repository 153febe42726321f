// Issue 16, silent misconfiguration: a registration the browser refuses, or one whose scope
// misses the page, rejects at once with `registration-failed`, naming the script and the
// browser's reason, and warning that the login answer (refresh token included) would reach the
// page. Unsupported or blocked service workers stay distinct (`worker-unavailable`), and
// `requireWorker` lets the app fail closed: nothing is sent without the worker.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { demoStaticDir, demoSwScript, expect, test, type TestServer } from './fixtures.js';

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  ms: number;
}

async function openManual(page: Page, server: TestServer): Promise<void> {
  await page.goto(`${server.url}/?manual=1`);
  await page.waitForFunction(() => 'demoLib' in globalThis);
}

/** Runs `registerTokenBroker(options)` in the page with the demo's worker config, timed. */
function register(page: Page, options: object): Promise<Outcome> {
  return page.evaluate(async (options) => {
    type Lib = { registerTokenBroker(o: object): Promise<unknown>; demoWorkerConfig(q: string): object };
    const lib = (globalThis as unknown as { demoLib: Lib }).demoLib;
    const t0 = performance.now();
    try {
      await lib.registerTokenBroker({ worker: lib.demoWorkerConfig(''), ...options });
      return { ok: true, ms: performance.now() - t0 };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return { ok: false, code: e.code, message: e.message, ms: performance.now() - t0 };
    }
  }, options);
}

const WARNING = 'refresh token included, reaches this page';
/** What Firefox ESR 153 says for a 404, a wrong MIME type or a scope beyond the script's directory. */
const FIREFOX_REASON = /TypeError: ServiceWorker script at .* encountered an error during installation/;

const cases: Array<{ name: string; scriptUrl: string; scope?: string; reason: RegExp; serve?: string }> = [
  { name: 'a script URL that answers 404', scriptUrl: '/no-such-sw.js', reason: /404/ },
  {
    name: 'an SPA fallback that answers index.html',
    scriptUrl: '/spa/sw.js',
    serve: 'text/html',
    reason: /MIME type \('text\/html'\)/,
  },
  {
    name: 'the worker served as text/plain',
    scriptUrl: '/plain-type/sw.js',
    serve: 'text/plain',
    reason: /MIME type \('text\/plain'\)/,
  },
  {
    name: 'a scope beyond the script’s directory (SecurityError)',
    scriptUrl: '/deep/sw.js',
    scope: '/',
    serve: 'text/javascript',
    reason: /SecurityError.*scope/,
  },
  {
    name: 'a scope that does not cover the page',
    scriptUrl: '/sw.js',
    scope: '/apps/elsewhere/',
    reason: /scope .*\/apps\/elsewhere\/ does not cover this page/,
  },
];

for (const c of cases) {
  test(`${c.name}: registration-failed within 2 s, naming the script and the reason`, async ({
    browserName,
    context,
    page,
    server,
  }) => {
    if (c.serve) {
      // The SPA fallback serves the page itself; the others serve the real worker under a wrong type or path.
      const body =
        c.serve === 'text/html' ? readFileSync(`${demoStaticDir}/index.html`) : readFileSync(demoSwScript);
      // Matched on the path: the client adds the config's route scope as a query (shared/route-scope.ts).
      await context.route(
        (url) => url.pathname === c.scriptUrl,
        (route) => route.fulfill({ contentType: c.serve, headers: { 'Cache-Control': 'no-cache' }, body }),
      );
    }
    await openManual(page, server);
    const outcome = await register(page, { scriptUrl: c.scriptUrl, ...(c.scope ? { scope: c.scope } : {}) });
    console.log(`${c.name}: ${outcome.ms.toFixed(0)} ms: ${outcome.message}`);
    expect(outcome).toMatchObject({ ok: false, code: 'registration-failed' });
    expect(outcome.message).toContain(c.scriptUrl);
    // The browser's own words: Chromium names the cause; Firefox ESR says only that the script
    // at that URL failed to install, for every one of these causes (observed in ESR 153).
    const browserSaysIt = c.name !== 'a scope that does not cover the page';
    expect(outcome.message).toMatch(browserName === 'firefox' && browserSaysIt ? FIREFOX_REASON : c.reason);
    expect(outcome.message).toContain(WARNING);
    expect(outcome.ms).toBeLessThan(2_000);
    expect(server.control.counters().requests.filter((r) => r.path.startsWith('/api/'))).toEqual([]);
  });
}

test('a failed registration: calls reject with the same error; without requireWorker a login through the client reaches the server and the page sees the refresh token, with it nothing is sent', async ({
  page,
  server,
}) => {
  await openManual(page, server);
  const outcome = await page.evaluate(async () => {
    type Client = {
      ready: Promise<void>;
      status(): Promise<unknown>;
      fetch: typeof fetch;
      attachAxios(instance: unknown, axios: unknown): () => void;
    };
    type Axios = { post(url: string, data: unknown): Promise<unknown> };
    type Lib = {
      createTokenBroker(o: object): Client;
      demoWorkerConfig(q: string): object;
      api: { create(config: object): Axios };
      axios: unknown;
    };
    const lib = (globalThis as unknown as { demoLib: Lib }).demoLib;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      );
    const login = (client: Client) =>
      client.fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'demo', password: 'demo' }),
      });
    const open = lib.createTokenBroker({ scriptUrl: '/no-such-sw.js', worker: lib.demoWorkerConfig('') });
    const closed = lib.createTokenBroker({
      scriptUrl: '/no-such-sw.js',
      worker: lib.demoWorkerConfig(''),
      requireWorker: true,
    });
    // Attached before the start failed, as an app does at module level.
    const instance = lib.api.create({ baseURL: '/api' });
    closed.attachAxios(instance, lib.axios);
    const openLogin = (await (await login(open)).json()) as Record<string, unknown>;
    return {
      ready: [await code(open.ready), await code(closed.ready)],
      status: [await code(open.status()), await code(closed.status())],
      openLoginHasRefreshToken: typeof openLogin.refresh_token === 'string',
      closedLogin: await code(login(closed)),
      closedAxiosLogin: await code(instance.post('/auth/login', { username: 'demo', password: 'demo' })),
    };
  });
  expect(outcome).toEqual({
    ready: ['registration-failed', 'registration-failed'],
    status: ['registration-failed', 'registration-failed'],
    // The danger the error message names: nothing captured this login.
    openLoginHasRefreshToken: true,
    closedLogin: 'registration-failed',
    closedAxiosLogin: 'registration-failed',
  });
  expect(server.control.counters().logins).toBe(1);
});

test('service workers unsupported: registration resolves and calls reject worker-unavailable (not registration-failed); requireWorker rejects and sends nothing', async ({
  context,
  server,
}) => {
  const page = await context.newPage();
  // A browser without service workers (e.g. Firefox in private mode): no `navigator.serviceWorker`.
  await page.addInitScript(() =>
    Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined }),
  );
  await openManual(page, server);
  const outcome = await page.evaluate(async () => {
    type Client = { ready: Promise<void>; status(): Promise<unknown>; fetch: typeof fetch };
    type Lib = { createTokenBroker(o: object): Client; demoWorkerConfig(q: string): object };
    const lib = (globalThis as unknown as { demoLib: Lib }).demoLib;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
      );
    const open = lib.createTokenBroker({ worker: lib.demoWorkerConfig('') });
    const closed = lib.createTokenBroker({ worker: lib.demoWorkerConfig(''), requireWorker: true });
    return {
      openReady: await code(open.ready),
      openStatus: await code(open.status()),
      closedReady: await code(closed.ready),
      closedFetch: await code(closed.fetch('/api/me')),
    };
  });
  expect(outcome.openReady).toBe('resolved');
  for (const result of [outcome.openStatus, outcome.closedReady, outcome.closedFetch]) {
    expect(result).toMatch(/^worker-unavailable: service workers are unsupported or blocked/);
    expect(result).toContain(WARNING);
  }
  expect(server.control.counters().requests.filter((r) => r.path.startsWith('/api/'))).toEqual([]);
});
