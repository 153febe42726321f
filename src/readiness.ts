import { Workbox } from 'workbox-window';

export interface WorkerHandle {
  registration: ServiceWorkerRegistration;
  /** The worker to post to: the controller, else the registration's active worker. */
  target(): ServiceWorker | null;
  /** Stops the timers and listeners registration added. */
  dispose(): void;
}

function timeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      () => (clearTimeout(timer), resolve(fallback)),
    );
  });
}

/**
 * Registers the worker with workbox-window (`immediate`, so it does not wait for `load`)
 * and waits, bounded, for an active worker. Resolves null where service workers are
 * unsupported or blocked.
 */
export async function registerWorker(
  scriptUrl: string,
  scope: string | undefined,
  timeoutMs: number,
  nudgeWaiting: boolean,
): Promise<WorkerHandle | null> {
  const container = globalThis.navigator?.serviceWorker;
  if (!container) return null;
  const workbox = new Workbox(scriptUrl, scope === undefined ? {} : { scope });
  const registration = await workbox.register({ immediate: true }).catch(() => undefined);
  if (!registration) return null;
  const dispose = nudgeWaiting ? nudgeWaitingWorker(workbox, registration) : () => undefined;
  // `navigator.serviceWorker.ready` resolves for uncontrolled pages too, unlike
  // workbox-window's `controlling` after a hard reload (workbox #2788).
  await timeout(container.ready, timeoutMs, undefined);
  const target = (): ServiceWorker | null => {
    // Every call also re-asks a stuck waiting version, for as long as the page talks to the worker.
    if (nudgeWaiting && registration.waiting) workbox.messageSkipWaiting();
    return container.controller ?? registration.active;
  };
  return { registration, target, dispose };
}

/** Resolves true once the page is controlled, false after `timeoutMs`. */
export function waitForControl(timeoutMs: number): Promise<boolean> {
  const container = navigator.serviceWorker;
  if (container.controller) return Promise.resolve(true);
  const changed = new Promise<boolean>((resolve) => {
    container.addEventListener('controllerchange', () => resolve(container.controller !== null), { once: true });
  });
  return timeout(changed, timeoutMs, false);
}

export function isControlled(): boolean {
  return globalThis.navigator?.serviceWorker?.controller != null;
}

/**
 * Chromium can abandon a `skipWaiting()` hand-over when a busy tab restarts the old worker
 * mid-way, leaving the new version waiting until every tab closes (e2e/worker-update.spec.ts).
 * While a version waits, ask it again once a second (each message is an event that also
 * wakes it) for 30 s, and then with every call the page makes (see `target`). Only for the
 * standalone worker, whose policy is to take over.
 */
function nudgeWaitingWorker(workbox: Workbox, registration: ServiceWorkerRegistration): () => void {
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };
  const start = (): void => {
    if (timer !== undefined) return;
    let left = 30;
    timer = setInterval(() => {
      if (!registration.waiting || left-- <= 0) stop();
      else workbox.messageSkipWaiting();
    }, 1000);
    workbox.messageSkipWaiting();
  };
  workbox.addEventListener('waiting', start);
  if (registration.waiting) start();
  return () => {
    stop();
    workbox.removeEventListener('waiting', start);
  };
}
