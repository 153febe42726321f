// The wire protocol is versioned (issue 28): the first call to a worker checks, with a `hello`
// answered at once, that it speaks the broker's protocol. A worker that does not fails the call
// with `protocol-mismatch` within 1 s (a 600 ms handshake window) instead of the 10 s call timeout
// (twice, with the retry); while a new broker version installs over a plain worker, calls go to it
// and registration completes within 2 s.
import type { Page } from '@playwright/test';
import { PLAIN_WORKER } from '../demo/server/routes-test.js';
import { expect, test, type TestServer } from './fixtures.js';
import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoStaticDir, demoSwScript } from './fixtures.js';
import { hookWorkerPosts, type PostHooks, waitForController } from './harness/worker-control.js';

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  /** Milliseconds the measured step took, in the page. */
  ms: number;
}

/** A demo server whose `/sw.js` is a plain worker until `switchToBroker()` deploys the built broker there. */
const switching = test.extend<{ origin: { server: TestServer; switchToBroker(): Promise<void> } }>({
  origin: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-switch-'));
    const script = join(dir, 'sw.js');
    await writeFile(script, PLAIN_WORKER);
    const { startServer } = await import('../demo/server/index.js');
    const server = await startServer({ testControl: true, staticDir: demoStaticDir, swScript: script });
    // Copied and renamed, so an update check never reads a half-written script.
    const switchToBroker = async () => {
      await copyFile(demoSwScript, `${script}.tmp`);
      await rename(`${script}.tmp`, script);
    };
    try {
      await use({ server, switchToBroker });
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
});

/** Whether the page's controller answers a broker `hello` within 1.5 s (a plain worker never does). */
function helloFromController(page: Page): Promise<boolean> {
  return page.evaluate(
    () =>
      new Promise<boolean>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(true);
        setTimeout(() => resolve(false), 1_500);
        navigator.serviceWorker.controller?.postMessage(
          { __swTokenBroker: 1, call: { id: 'probe', type: 'APPLY', path: ['hello'], argumentList: [] } },
          [channel.port2],
        );
      }),
  );
}

/** Opens the demo without its own registration; `demoLib` then offers `registerTokenBroker`. */
/** The plain worker's URL as the client registers it for the demo config. */
const SCOPED_PLAIN_SW = '/__test/plain-sw.js?api=%2Fapi%2F&login=%2Fapi%2Fauth%2Flogin';

async function openManual(page: Page, server: TestServer): Promise<void> {
  await page.goto(`${server.url}/?manual=1`);
  await page.waitForFunction(() => 'demoLib' in globalThis);
}

test('a foreign worker at scriptUrl fails calls with protocol-mismatch naming the script, after one short handshake', async ({
  page,
  server,
}) => {
  await openManual(page, server);
  // The origin already runs a worker that is not the broker, at the script URL the app registers
  // (with the demo config's route scope, which the client writes into it: shared/route-scope.ts).
  await page.evaluate(
    async (url) => void (await navigator.serviceWorker.register(url, { scope: '/' })),
    SCOPED_PLAIN_SW,
  );
  await waitForController(page);
  const outcome = await page.evaluate(async (scoped) => {
    type Lib = {
      registerTokenBroker(o: object): Promise<{ status(): Promise<unknown> }>;
      demoWorkerConfig(q: string): object;
    };
    const lib = (globalThis as unknown as { demoLib: Lib }).demoLib;
    const measure = async (step: () => Promise<unknown>) => {
      const t0 = performance.now();
      try {
        await step();
        return { ok: true, ms: performance.now() - t0 };
      } catch (error) {
        const e = error as { code?: string; message?: string };
        return { ok: false, code: e.code, message: e.message, ms: performance.now() - t0 };
      }
    };
    // The standalone setup: registration's first call (`configure`) meets the foreign worker.
    const configured = await measure(() =>
      lib.registerTokenBroker({
        scriptUrl: '/__test/plain-sw.js',
        scope: '/',
        worker: lib.demoWorkerConfig(''),
      }),
    );
    // An app that owns its worker (no `worker` config): the controlled page's registration sends
    // no call, the first call fails, and so does the next one, at once (the verdict is remembered).
    let client: { status(): Promise<unknown> } | undefined;
    const registration = await measure(
      async () => (client = await lib.registerTokenBroker({ scriptUrl: scoped, scope: '/' })),
    );
    const status = await measure(() => client!.status());
    return { configured, registration, status };
  }, SCOPED_PLAIN_SW);
  console.log(
    `foreign worker: registration with config failed after ${outcome.configured.ms.toFixed(0)} ms, a later status() after ${outcome.status.ms.toFixed(0)} ms`,
  );
  expect(outcome.registration.ok).toBe(true);
  for (const o of [outcome.configured, outcome.status] as Outcome[]) {
    expect(o).toMatchObject({ ok: false, code: 'protocol-mismatch' });
    expect(o.message).toContain('/__test/plain-sw.js');
  }
  // One handshake window (600 ms; a broker answers even a cold start in 20–100 ms) instead of the
  // call timeout and its retry (2 × 10 s); the registration's check for a newer version runs
  // meanwhile and does not extend it: the page reads the script at the URL, sees it is no broker,
  // and stops waiting for that check (which took up to 3.5 s here under load). Measured
  // 0.61–0.64 s with the machine at load 29–40; the bound is 1 s.
  expect(outcome.configured.ms).toBeGreaterThanOrEqual(550); // it did wait for an answer
  expect(outcome.configured.ms).toBeLessThan(1_000);
  expect(outcome.status.ms).toBeLessThan(500); // remembered: no second handshake window
  expect(server.control.counters().requests.filter((r) => r.path.startsWith('/api/'))).toEqual([]);
});

switching(
  'an origin switching from a plain worker at /sw.js to the broker: registration talks to the new version at once',
  async ({ origin, page }) => {
    // Before the switch the origin serves a plain worker at /sw.js, which controls the page. The
    // server serves it (a `context.route` does not reach Firefox's fetch of the worker script:
    // there the "plain" worker was the broker all along, docs/platform-facts.md §15).
    const { server } = origin;
    await openManual(page, server);
    await page.evaluate(async () => void (await navigator.serviceWorker.register('/sw.js')));
    await waitForController(page);
    expect(await helloFromController(page), 'the controller at load is the plain worker').toBe(false);
    await origin.switchToBroker();
    // The deploy: /sw.js is now the broker, and the page's new code registers it. Every call
    // is recorded with whether it went to the worker controlling the page at load (the plain one).
    await page.addInitScript(hookWorkerPosts);
    await page.addInitScript(() => {
      const plain = navigator.serviceWorker.controller;
      (globalThis as unknown as { __plain: unknown }).__plain = plain;
      const posts: Array<{ method: string; toPlain: boolean }> = ((
        globalThis as unknown as { __posts: unknown[] }
      ).__posts = []);
      (globalThis as unknown as PostHooks).__postHooks.push((worker, message) => {
        const method = (message as { call?: { path?: string[] } } | null)?.call?.path?.[0];
        if (method) posts.push({ method, toPlain: worker === plain });
        return message;
      });
    });
    await page.reload();
    await page.waitForFunction(() => 'demoLib' in globalThis);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    const outcome = await page.evaluate(async () => {
      type Client = { status(): Promise<{ configured: boolean }> };
      type Lib = { registerTokenBroker(o: object): Promise<Client>; demoWorkerConfig(q: string): object };
      const lib = (globalThis as unknown as { demoLib: Lib }).demoLib;
      const t0 = performance.now();
      const client = await lib.registerTokenBroker({ worker: lib.demoWorkerConfig('') });
      const ms = performance.now() - t0;
      (globalThis as unknown as { client: Client }).client = client;
      return { ms, status: await client.status() };
    });
    console.log(`plain → broker switch: registerTokenBroker took ${outcome.ms.toFixed(0)} ms`);
    expect(outcome.status).toMatchObject({ configured: true });
    // The old worker got the handshake only; `configure` went to the new version. Before, it went
    // to the old worker and waited out the whole call timeout (10 s). What remains is Chromium's
    // update check, fetching and starting the new version: 0.36–0.85 s in all (load 29–40), but the
    // check alone once took 2.5 s at load 30, so this bound can fail on a starved machine.
    const posts = await page.evaluate(
      () => (globalThis as unknown as { __posts: Array<{ method: string; toPlain: boolean }> }).__posts,
    );
    expect(posts.filter((p) => p.toPlain).map((p) => p.method)).toEqual(['hello']);
    expect(posts.find((p) => p.method === 'configure')).toEqual({ method: 'configure', toPlain: false });
    expect(outcome.ms).toBeLessThan(2_000);
    // The broker takes over the page (the plain worker, also at /sw.js, does not answer the
    // broker's hand-over request, so that takes ~1 s), and captures a login made through it.
    await page.waitForFunction(() => {
      const controller = navigator.serviceWorker.controller;
      return controller !== null && controller !== (globalThis as unknown as { __plain: unknown }).__plain;
    });
    const login = await page.evaluate(async () => {
      const response = await fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'demo', password: 'demo' }),
      });
      return (await response.json()) as Record<string, unknown>;
    });
    expect(login).toHaveProperty('access_token');
    expect(login).not.toHaveProperty('refresh_token');
    expect(server.control.counters().logins).toBe(1);
  },
);
