import { Workbox } from 'workbox-window';

export interface WorkerHandle {
  registration: ServiceWorkerRegistration;
  /** The worker to post to: the controller, else the registration's active worker. */
  target(): ServiceWorker | null;
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
export async function registerWorker(scriptUrl: string, scope: string | undefined, timeoutMs: number): Promise<WorkerHandle | null> {
  const container = globalThis.navigator?.serviceWorker;
  if (!container) return null;
  const workbox = new Workbox(scriptUrl, scope === undefined ? {} : { scope });
  const registration = await workbox.register({ immediate: true }).catch(() => undefined);
  if (!registration) return null;
  // `navigator.serviceWorker.ready` resolves for uncontrolled pages too, unlike
  // workbox-window's `controlling` after a hard reload (workbox #2788).
  await timeout(container.ready, timeoutMs, undefined);
  return { registration, target: () => container.controller ?? registration.active };
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
