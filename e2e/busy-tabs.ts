import type { Page } from '@playwright/test';

type BusyGlobal = {
  __busy: Array<number | string>;
  __busyStop?: boolean;
  __busyPause?: boolean;
  __busyDone?: Promise<void>;
};

/**
 * Keeps a tab's requests flowing: `GET /api/me` with plain `fetch` every ~250 ms, statuses (or
 * error messages) in `__busy`. Pauses between requests: Chromium hands a registration over to a
 * new worker only at a moment when the old one has no event in flight, so tabs that never pause
 * (or a loaded CI box where their requests always overlap) hold a new version off until its
 * deadline (e2e/update-under-load.spec.ts has tabs that never pause).
 */
export function startBusy(page: Page): Promise<void> {
  return page.evaluate(() => {
    const g = globalThis as unknown as BusyGlobal;
    g.__busy = [];
    g.__busyStop = false;
    g.__busyDone = (async () => {
      while (!g.__busyStop) {
        if (!g.__busyPause) {
          try {
            const response = await fetch('/api/me', { cache: 'no-store' });
            await response.arrayBuffer();
            g.__busy.push(response.status);
          } catch (error) {
            g.__busy.push(String(error));
          }
        }
        await new Promise((resolve) => setTimeout(resolve, g.__busyPause ? 50 : 250));
      }
    })();
  });
}

/** Stops the loop once its current request settled; resolves with every outcome. */
export function stopBusy(page: Page): Promise<Array<number | string>> {
  return page.evaluate(async () => {
    const g = globalThis as unknown as BusyGlobal;
    g.__busyStop = true;
    await g.__busyDone;
    return g.__busy;
  });
}

/** How many requests the loop has completed so far. */
export function busyCount(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as BusyGlobal).__busy.length);
}

/** Pauses or resumes the loop, keeping its record. */
export function pauseBusy(page: Page, paused: boolean): Promise<void> {
  return page.evaluate((p) => void ((globalThis as unknown as BusyGlobal).__busyPause = p), paused);
}

/** Counts `controllerchange` events from now on (read with {@link controllerChanges}). */
export function countControllerChanges(page: Page): Promise<void> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { __controllerChanges: number };
    g.__controllerChanges = 0;
    navigator.serviceWorker.addEventListener('controllerchange', () => g.__controllerChanges++);
  });
}

export function controllerChanges(page: Page): Promise<number> {
  return page.evaluate(
    () => (globalThis as unknown as { __controllerChanges?: number }).__controllerChanges ?? 0,
  );
}
