import type { Workbox } from 'workbox-window';

/** The part of workbox-window's `Workbox` updates need (duck-typed, so tests can fake it). */
export type UpdateSource = Pick<Workbox, 'messageSkipWaiting'> & {
  addEventListener(type: 'waiting', listener: (event: { sw?: ServiceWorker }) => void): void;
  removeEventListener(type: 'waiting', listener: (event: { sw?: ServiceWorker }) => void): void;
};

export interface UpdateControl {
  /** Whether a new version is installed and waiting. */
  waiting(): boolean;
  /** Asks the waiting version to take over; resolves true once it controls this page, false if none waits or after `timeoutMs`. */
  apply(timeoutMs: number): Promise<boolean>;
  dispose(): void;
}

/** When a version asked to take over counts as stalled (`update-stalled`). */
export interface StallWatch {
  /** How long a version may wait after being asked to take over. */
  afterMs: number;
  /** The worker takes over by itself (the prebuilt `sw.js`): asked as soon as it waits. */
  eager: boolean;
  onStalled(waitingMs: number): void;
}

/**
 * Follows new worker versions: `onWaiting` runs once per version that installs and waits
 * (including one already waiting at registration, whose workbox-window event fired before
 * anyone listened). Applying one is workbox-window's convention: `messageSkipWaiting()`,
 * which `installTokenBroker`'s worker always honours, then `controllerchange`.
 */
export function watchUpdates(
  workbox: UpdateSource,
  registration: ServiceWorkerRegistration,
  container: ServiceWorkerContainer,
  onWaiting: () => void,
  stall?: StallWatch,
): UpdateControl {
  const announced = new WeakSet<ServiceWorker>();
  const watched = new WeakSet<ServiceWorker>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  // Chromium hands over only at a moment the old worker has no request in flight (README,
  // "A new worker version stays waiting"): tell the app once when one that was asked still waits.
  const watchStall = (sw: ServiceWorker | null): void => {
    if (!stall || !sw || watched.has(sw)) return;
    watched.add(sw);
    const since = Date.now();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (registration.waiting === sw) stall.onStalled(Date.now() - since);
    }, stall.afterMs);
    timers.add(timer);
  };
  const announce = (sw: ServiceWorker | null | undefined): void => {
    if (!sw || announced.has(sw)) return;
    announced.add(sw);
    if (stall?.eager) watchStall(sw);
    onWaiting();
  };
  const onEvent = (event: { sw?: ServiceWorker }): void => announce(event.sw ?? registration.waiting);
  workbox.addEventListener('waiting', onEvent);
  if (registration.waiting) queueMicrotask(() => announce(registration.waiting));
  return {
    waiting: () => registration.waiting !== null,
    async apply(timeoutMs) {
      if (!registration.waiting) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onChange: (() => void) | undefined;
      const changed = new Promise<boolean>((resolve) => {
        onChange = () => resolve(true);
        container.addEventListener('controllerchange', onChange, { once: true });
        timer = setTimeout(resolve, timeoutMs, false);
      });
      watchStall(registration.waiting);
      workbox.messageSkipWaiting();
      return changed.finally(() => {
        clearTimeout(timer);
        if (onChange) container.removeEventListener('controllerchange', onChange);
      });
    },
    dispose() {
      workbox.removeEventListener('waiting', onEvent);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
