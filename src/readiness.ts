import { Workbox } from './workbox.js';
import { withTimeout } from '../shared/timeout.js';
import { TokenBrokerError } from '../shared/errors.js';
import { ENVELOPE_KEY } from '../shared/protocol.js';

export interface WorkerHandle {
  /** The workbox-window instance that registered the worker (the app's own, if it gave one). */
  workbox: Workbox;
  registration: ServiceWorkerRegistration;
  /** The workers a call may go to, most preferred first (the transport picks the first that speaks the protocol). */
  target(): ServiceWorker[];
  /** Checks for a newer version of the worker script (resolves once one is installing, if any). */
  update(): Promise<unknown>;
  /** Whether the script now served at the registered URL is a broker (it carries the envelope key). */
  brokerScript(): Promise<boolean>;
  /** Stops the timers and listeners registration added. */
  dispose(): void;
}

/** Settles with the promise's value, or with `fallback` once it rejects or `ms` pass. */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return withTimeout(
    promise.catch(() => fallback),
    ms,
    () => fallback,
  );
}

/** What the page may see while no worker captures the login; every registration error says it. */
export const NO_CAPTURE_WARNING =
  'Without a worker nothing captures the login: its answer, refresh token included, reaches this page (`requireWorker: true` refuses to send requests without one).';

/** The typed error for a registration the browser refused, or one that cannot control this page. */
export function registrationFailed(scriptUrl: string, reason: string, cause?: unknown): TokenBrokerError {
  return new TokenBrokerError(
    'registration-failed',
    `the service worker ${scriptUrl} cannot serve this page: ${reason.replace(/\.*$/, '')}. ${NO_CAPTURE_WARNING}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Registers the worker with workbox-window (`immediate`, so it does not wait for `load`)
 * and waits, bounded, for an active worker. Resolves null where service workers are
 * unsupported or blocked; rejects with `registration-failed` when the browser refuses the
 * script (its reason: a 404, a MIME type other than JavaScript, a scope beyond the script's
 * directory, a script that throws) or when the registration's scope does not cover this page,
 * which it could then never control: said at once, not after the wait for control.
 *
 * With `nudgeWaiting` (the standalone worker, whose policy is to take over): Chromium can
 * abandon a `skipWaiting()` hand-over when a busy tab restarts the old worker mid-way,
 * leaving the new version waiting until every tab closes (e2e/worker-update.spec.ts).
 * While a version waits, ask it again once a second (each message is an event that also
 * wakes it) for 30 s, and then with every call the page makes, which the waiting version
 * answers itself (see `target`).
 */
export async function registerWorker(
  scriptUrl: string,
  scope: string | undefined,
  timeoutMs: number,
  nudgeWaiting: boolean,
  own?: Workbox,
): Promise<WorkerHandle | null> {
  const container = globalThis.navigator?.serviceWorker;
  if (!container) return null;
  const workbox = own ?? new Workbox(scriptUrl, { scope });
  // The app's instance should come unregistered. One it registered already answers `register()`
  // with undefined in development builds (workbox-window refuses to register twice): then find
  // the registration it made.
  const registered = await workbox.register({ immediate: true }).catch((error: unknown) => {
    const e = error as { name?: unknown; message?: unknown } | null;
    const reason = `${String(e?.name ?? 'Error')}: ${String(e?.message ?? e)}`;
    // Service workers blocked by the user (site data blocked): Chromium's SecurityError "…denied permission…".
    if (/denied permission/i.test(reason)) return null;
    throw registrationFailed(scriptUrl, reason, error);
  });
  if (registered === null) return null;
  const registration =
    registered ??
    (own
      ? await container
          .getRegistration(scope ?? new URL(scriptUrl, globalThis.location?.href).href)
          .catch(() => undefined)
      : undefined);
  if (!registration) return null;
  // Scope matching is a plain prefix match on the URL (Service Workers spec, "Match Service Worker Registration").
  const page = globalThis.location?.href ?? '';
  if (!page.startsWith(registration.scope))
    throw registrationFailed(
      scriptUrl,
      `its scope ${registration.scope} does not cover this page (${page.split(/[?#]/)[0]}), so it can never control it or see its requests`,
    );
  const waiting = (): ServiceWorker | null => (nudgeWaiting ? registration.waiting : null);
  const nudge = (): unknown => waiting() && workbox.messageSkipWaiting();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = (): void => clearInterval(timer);
  const start = (): void => {
    stop();
    let left = 30;
    nudge();
    timer = setInterval(() => (registration.waiting && left-- > 0 ? nudge() : stop()), 1000);
  };
  if (nudgeWaiting) {
    workbox.addEventListener('waiting', start);
    if (registration.waiting) start();
  }
  // `navigator.serviceWorker.ready` resolves for uncontrolled pages too, unlike
  // workbox-window's `controlling` after a hard reload (workbox #2788).
  await within(container.ready, timeoutMs, undefined);
  return {
    workbox,
    registration,
    target: () => {
      nudge();
      const { installing, waiting, active } = registration;
      // Standalone worker: a newer version (installing or waiting) is a full broker on the same
      // IndexedDB and Web Lock, and takes over shortly. Calls go to it: a call to the old worker
      // can restart it mid hand-over, and Chromium then abandons the hand-over
      // (e2e/worker-update.spec.ts under CPU load: 2 of 32 runs stuck before this), and an old
      // worker that is not a broker at all (an origin switching to the broker) never answers
      // (e2e/protocol-handshake.spec.ts). Otherwise the controller first; the transport's
      // handshake skips any candidate that does not speak the protocol.
      const order = nudgeWaiting
        ? [installing, waiting, container.controller, active]
        : [container.controller, active, waiting, installing];
      return [...new Set(order)].filter((w): w is ServiceWorker => w != null && w.state !== 'redundant');
    },
    update: () => registration.update(),
    // The page reads the script as the update check would. A worker that loads the broker with
    // `importScripts` reads as foreign here: its first call fails, the next one reaches it.
    brokerScript: async () => {
      const response = await fetch(scriptUrl, { cache: 'no-store' });
      return response.ok && (await response.text()).includes(ENVELOPE_KEY);
    },
    dispose() {
      stop();
      workbox.removeEventListener('waiting', start);
    },
  };
}

/** Resolves true once the page is controlled, false after `timeoutMs`. */
export function waitForControl(timeoutMs: number): Promise<boolean> {
  if (isControlled()) return Promise.resolve(true);
  const changed = new Promise<boolean>((resolve) =>
    navigator.serviceWorker.addEventListener('controllerchange', () => resolve(isControlled()), {
      once: true,
    }),
  );
  return within(changed, timeoutMs, false);
}

/**
 * Resolves true once this page's controller runs `scriptUrl` (or nothing controls it), false
 * after `timeoutMs`. A page that registered a new URL (a changed route scope) is still controlled
 * by the version of the old one, whose static routes follow the old scope, until the new one
 * takes over (the standalone worker skips waiting).
 */
export async function waitForScript(scriptUrl: string, timeoutMs: number): Promise<boolean> {
  const container = navigator.serviceWorker;
  const href = new URL(scriptUrl, location.href).href;
  const current = (): boolean => (container.controller?.scriptURL ?? href) === href;
  if (current()) return true;
  let listener = (): void => undefined;
  const changed = new Promise<boolean>((resolve) => {
    listener = () => current() && resolve(true);
    container.addEventListener('controllerchange', listener);
  });
  return within(changed, timeoutMs, false).finally(() =>
    container.removeEventListener('controllerchange', listener),
  );
}

export function isControlled(): boolean {
  return globalThis.navigator?.serviceWorker?.controller != null;
}
