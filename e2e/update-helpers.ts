import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { demoStaticDir, demoSwScript, type ServerOptions, type TestServer } from './fixtures.js';

/** A demo server whose `/sw.js` is a temp copy of the built worker, and a way to deploy a new build of it. */
export interface UpdatableServer {
  server: TestServer;
  /** Serves a byte-different worker script: the browser sees a new version at its next update check. */
  deploy(build: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts an {@link UpdatableServer}; `prelude` is prepended to the worker script (test-only builds). */
export async function startUpdatableServer(options: ServerOptions, prelude = ''): Promise<UpdatableServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-update-'));
  const script = join(dir, 'sw.js');
  await copyFile(demoSwScript, script);
  const original = prelude + (await readFile(script, 'utf8'));
  // Written to a temp file and renamed, so an update check never reads a half-written script.
  const deploy = async (build: number): Promise<void> => {
    await writeFile(`${script}.tmp`, `${original}\n// deploy ${build}\n`);
    const { rename } = await import('node:fs/promises');
    await rename(`${script}.tmp`, script);
  };
  await deploy(1);
  const { startServer } = await import('../demo/server/index.js');
  const server = await startServer({
    ...options,
    testControl: true,
    staticDir: demoStaticDir,
    swScript: script,
  });
  return {
    server,
    deploy,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Asks the registration for an update from `page` and resolves once a new version was found. */
export function findUpdate(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration) throw new Error('no registration');
    const found = new Promise<void>((resolve) =>
      registration.addEventListener('updatefound', () => resolve(), { once: true }),
    );
    // Not awaited: from a tab with requests in flight Chromium may settle update() late.
    void registration.update().catch(() => undefined);
    await found;
  });
}

/**
 * Records every service-worker version's state changes (CDP `ServiceWorker.workerVersionUpdated`):
 * lines like `12.3s v1 installed/running clients=0`, for failure messages.
 */
export async function traceVersions(context: BrowserContext, page: Page): Promise<string[]> {
  const cdp = await context.newCDPSession(page);
  const start = Date.now();
  const lines: string[] = [];
  const last = new Map<string, string>();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) {
      const state = `${v.status}/${v.runningStatus} clients=${v.controlledClients?.length ?? 0}`;
      if (last.get(v.versionId) === state) continue;
      last.set(v.versionId, state);
      lines.push(`${((Date.now() - start) / 1000).toFixed(1)}s v${v.versionId} ${state}`);
    }
  });
  await cdp.send('ServiceWorker.enable');
  return lines;
}

type LoopGlobal = {
  __loops: { outcomes: Array<number | string>; stop: boolean; pausedUntil: number; done?: Promise<unknown> };
  __controllerChangedAt?: number;
};

/**
 * Runs `count` loops of back-to-back `GET /api/me` (plain `fetch`, no pause between requests),
 * recording each status (or error). With `pauseOnStall`, the tab does what the README advises on
 * `update-stalled`: it holds new requests for that long.
 */
export function startLoops(page: Page, count: number, pauseOnStall = 0): Promise<void> {
  return page.evaluate(
    ({ count, pauseOnStall }) => {
      const g = globalThis as unknown as LoopGlobal & {
        demo: { broker: { on(event: string, handler: () => void): unknown } };
      };
      const loops = { outcomes: [] as Array<number | string>, stop: false, pausedUntil: 0 };
      g.__loops = loops;
      navigator.serviceWorker.addEventListener(
        'controllerchange',
        () => (g.__controllerChangedAt = Date.now()),
      );
      if (pauseOnStall > 0)
        g.demo.broker.on('update-stalled', () => (loops.pausedUntil = Date.now() + pauseOnStall));
      const loop = async (): Promise<void> => {
        while (!loops.stop) {
          const wait = loops.pausedUntil - Date.now();
          if (wait > 0) {
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue;
          }
          try {
            const response = await fetch('/api/me', { cache: 'no-store' });
            await response.arrayBuffer();
            loops.outcomes.push(response.status);
          } catch (error) {
            loops.outcomes.push(String(error));
          }
        }
      };
      (g.__loops as LoopGlobal['__loops']).done = Promise.all(Array.from({ length: count }, loop));
    },
    { count, pauseOnStall },
  );
}

/** Holds every loop of the tab for `ms` (0 resumes). */
export function pauseLoops(page: Page, ms: number): Promise<void> {
  return page.evaluate((ms) => {
    (globalThis as unknown as LoopGlobal).__loops.pausedUntil = Date.now() + ms;
  }, ms);
}

/** Stops the loops once their requests settled; resolves with every outcome. */
export function stopLoops(page: Page): Promise<Array<number | string>> {
  return page.evaluate(async () => {
    const loops = (globalThis as unknown as LoopGlobal).__loops;
    loops.stop = true;
    loops.pausedUntil = 0;
    await loops.done;
    return loops.outcomes;
  });
}

/** Epoch ms of the tab's last `controllerchange` (set up by {@link startLoops}), or null. */
export function controllerChangedAt(page: Page): Promise<number | null> {
  return page.evaluate(() => (globalThis as unknown as LoopGlobal).__controllerChangedAt ?? null);
}

/** The registration as the page sees it: controller and waiting states. */
export function registrationState(
  page: Page,
): Promise<{ controller: string | null; waiting: string | null }> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return {
      controller: navigator.serviceWorker.controller?.state ?? null,
      waiting: registration?.waiting?.state ?? null,
    };
  });
}
