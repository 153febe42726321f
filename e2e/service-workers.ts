import type { BrowserContext, Page } from '@playwright/test';

// Kept apart from fixtures.ts (no `test` object) so the benchmarks can use it outside the runner.

/**
 * Stops every service worker of the context, as the browser does after ~30 s idle.
 * Needed because Chromium never idles a worker out while DevTools (Playwright) is attached
 * (PITFALLS §2). The next fetch or postMessage starts a fresh worker instance.
 * Resolves once Chromium reports no worker version still running.
 */
export async function stopServiceWorkers(context: BrowserContext, page: Page, timeoutMs = 10_000): Promise<void> {
  const cdp = await context.newCDPSession(page);
  const status = new Map<string, string>();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const version of versions) status.set(version.versionId, version.runningStatus);
  });
  try {
    // `enable` is required before `stopAllWorkers`; it also replays the current versions.
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    const deadline = Date.now() + timeoutMs;
    while ([...status.values()].some((running) => running !== 'stopped')) {
      if (Date.now() > deadline) throw new Error('stopServiceWorkers: workers still running after stopAllWorkers');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
