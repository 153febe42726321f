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

type ChangeGlobal = { __controllerChangedAt?: number };

/** Records the moment of the tab's next `controllerchange` (read by {@link controllerChangedAt}). */
export function watchControllerChange(page: Page): Promise<void> {
  return page.evaluate(() => {
    navigator.serviceWorker.addEventListener(
      'controllerchange',
      () => ((globalThis as ChangeGlobal).__controllerChangedAt = Date.now()),
    );
  });
}

/** Epoch ms of the tab's last `controllerchange` (set up by {@link watchControllerChange}), or null. */
export function controllerChangedAt(page: Page): Promise<number | null> {
  return page.evaluate(() => (globalThis as unknown as ChangeGlobal).__controllerChangedAt ?? null);
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
