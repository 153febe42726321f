import { chromium, type Browser, type BrowserContext, type CDPSession } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium, missingBrowserMessage } from '../scripts/find-browser.mjs';
import { sleep, withTimeout } from './stats.js';
export { stopServiceWorkers } from '../e2e/harness/worker-control.js';

/** Launches Chromium exactly as the e2e tests do: same executable, same flags. */
export async function launchBrowser(): Promise<Browser> {
  const found = findChromium();
  if (!found) throw new Error(missingBrowserMessage);
  // Only Chromium: the bench does not need the other engines the e2e config insists on.
  return chromium.launch({ executablePath: found.executablePath, args: [...CHROMIUM_ARGS] });
}

/**
 * A fresh context. tsx compiles our in-page functions with esbuild's keepNames, which wraps
 * inner functions in `__name(...)`; the page has no such helper, so give it a no-op one.
 */
export async function newBenchContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
  return context;
}

/** A DevTools session on one service worker target. */
export interface WorkerSession {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** True once the target went away (worker stopped or crashed): its heap is gone too. */
  readonly detached: boolean;
  close(): Promise<void>;
}

/**
 * Attaches to the running service worker whose script is `scriptUrl`. Playwright's
 * `newCDPSession` takes only pages and frames, and its CDPSession cannot address a flattened
 * child session, so this uses the non-flattened protocol: commands travel inside
 * `Target.sendMessageToTarget`, answers come back as `Target.receivedMessageFromTarget`.
 */
export async function attachToWorker(
  browser: Browser,
  scriptUrl: string,
  timeoutMs = 10_000,
): Promise<WorkerSession> {
  const cdp: CDPSession = await browser.newBrowserCDPSession();
  try {
    const targetId = await findWorkerTarget(cdp, scriptUrl, timeoutMs);
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false });
    return wrapSession(cdp, sessionId, timeoutMs);
  } catch (error) {
    await cdp.detach().catch(() => undefined);
    throw error;
  }
}

async function findWorkerTarget(cdp: CDPSession, scriptUrl: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { targetInfos } = await cdp.send('Target.getTargets');
    // Whatever its query: the page client adds the route scope (shared/route-scope.ts).
    const target = targetInfos.find((t) => t.type === 'service_worker' && t.url.split('?')[0] === scriptUrl);
    if (target) return target.targetId;
    if (Date.now() > deadline) throw new Error(`no running service worker ${scriptUrl}`);
    await sleep(50);
  }
}

function wrapSession(cdp: CDPSession, sessionId: string, timeoutMs: number): WorkerSession {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let detached = false;
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  cdp.on('Target.detachedFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    detached = true;
    for (const waiter of pending.values()) waiter.reject(new Error('worker target detached'));
    pending.clear();
  });
  return {
    get detached() {
      return detached;
    },
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      if (detached) return Promise.reject(new Error('worker target detached'));
      const id = ++nextId;
      const answer = new Promise<T>((resolve, reject) =>
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
      );
      void cdp
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
        .catch((error: Error) => {
          pending.get(id)?.reject(error);
          pending.delete(id);
        });
      return withTimeout(answer, timeoutMs, `worker ${method}`);
    },
    async close() {
      await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      await cdp.detach().catch(() => undefined);
    },
  };
}
