import type { BrowserContext, Page } from '@playwright/test';

// Kept apart from fixtures.ts (no `test` object) so the benchmarks can use it outside the runner.

/**
 * Stops every running service worker of the context (CDP `ServiceWorker.stopAllWorkers`,
 * docs/platform-facts.md §2) and resolves once each version that was running has been reported stopped at
 * least once. It does not require them to stay stopped: a fetch or message in flight, or a
 * tab's next call, restarts the worker at once (that restart is usually what a test is about).
 */
export async function stopServiceWorkers(
  context: BrowserContext,
  page: Page,
  timeoutMs = 10_000,
): Promise<void> {
  const cdp = await context.newCDPSession(page);
  const known = new Set<string>();
  const running = new Set<string>();
  const stopped = new Set<string>();
  let stopping = false;
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    for (const v of versions) {
      known.add(v.versionId);
      if (!stopping && v.runningStatus !== 'stopped') running.add(v.versionId);
      if (stopping && v.runningStatus === 'stopped') stopped.add(v.versionId);
    }
  });
  try {
    // `enable` is required before `stopAllWorkers`; it also replays the current versions.
    await cdp.send('ServiceWorker.enable');
    const deadline = Date.now() + timeoutMs;
    while (known.size === 0) {
      if (Date.now() > deadline) throw new Error('stopServiceWorkers: no service worker version reported');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    stopping = true;
    await cdp.send('ServiceWorker.stopAllWorkers');
    while ([...running].some((id) => !stopped.has(id))) {
      if (Date.now() > deadline) throw new Error('stopServiceWorkers: a worker never reported stopped');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
