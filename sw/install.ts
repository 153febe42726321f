import { type BrokerHandle, createHandle } from './broker-handle.js';
import { leftToWorkbox } from './api-routes.js';
import { forwardWithToken } from './forward.js';
import { installListeners } from './listeners.js';
import type { TokenBrokerConfig } from './settings.js';
import { watchForShadowedRoutes } from './shadow-watch.js';

declare let self: ServiceWorkerGlobalScope;

/** Who answers API requests: the broker's listener, Workbox routes, or Workbox under some path prefixes. */
export type ApiRoutes = 'builtin' | 'workbox' | { workbox: string[] };

export interface InstallOptions {
  /**
   * The broker's name: its IndexedDB database, BroadcastChannel and Web Locks are all named after
   * it, so two brokers on one origin (two apps, two scopes) share nothing. Pages pass the same
   * value as `registerTokenBroker({ name })`. @default 'sw-token-broker'
   */
  dbName?: string;
  /** Let a new version take over by itself, at the old version's first quiet moment (skip-waiting.ts). Without it a version waits until a page calls `applyUpdate()` (a `SKIP_WAITING` message) or every tab closes. @default false */
  skipWaiting?: boolean;
  /**
   * Let navigations and non-fetch requests (scripts, styles, images) bypass this worker through
   * static routing where supported. Leave off if other handlers in your worker serve them (precaching). @default false
   */
  bypassStaticRequests?: boolean;
  /**
   * Let every request the broker would pass through untouched (paths outside `apiPaths`, other
   * origins, navigations and assets alike) bypass this worker through static routing where
   * supported, so it never starts for them. The login endpoint and every API path still reach
   * it. Leave off if other handlers in your worker answer requests (precaching, other routes).
   * Without a config here, the scope comes from the script URL the page client registers.
   * @default false
   */
  bypassNonApiRequests?: boolean;
  /**
   * Who answers API requests (the `apiPaths` scope). `'builtin'`: the broker's own `fetch`
   * listener answers them first, so a Workbox route for the same request never runs (a warning
   * names the first one it shadowed). `{ workbox: ['/api/todos'] }`: requests under these path
   * prefixes are left to your Workbox routes, the rest stay built-in. `'workbox'`: all are left
   * to your routes, and an API request no route answers goes out without a token. Routes that
   * get API requests add `tokenBrokerPlugin(installed)`. Login capture stays with the broker.
   * @default 'builtin'
   */
  routes?: ApiRoutes;
  /**
   * Claim clients on `activate` (what workbox-core's `clientsClaim()` does, with a listener
   * `uninstall()` removes): a new version takes control of open, uncontrolled tabs as soon as
   * it activates. Pass false for prompt-style updates that want a tab to stay with the version
   * it loaded; pages still ask the worker to claim them on a first visit and after a hard
   * reload (`registerTokenBroker`). @default true
   */
  clientsClaim?: boolean;
  /**
   * Caches (`CacheStorage` names, e.g. a `NetworkFirst` route's `cacheName`) that hold one
   * user's API data. They are deleted when the session ends (logout, a definitively rejected
   * refresh, storage lost), before any tab hears `logout`. CacheStorage is shared by every tab
   * of the origin, so one deletion empties them for all. @default []
   */
  apiCacheNames?: string[];
}

/** What `installTokenBroker` returns. */
export interface InstalledBroker {
  /** What the app's own handlers may use of the broker: readiness, the session's state, settling; no token material. */
  broker: BrokerHandle;
  /**
   * Sends a request the way the built-in listener would (the token attached, a 401 cured once,
   * the login captured), for code that sends outside a fetch event: a background-sync queue's
   * `onSync` replaying what it stored, say. `event` keeps the worker alive for the refresh.
   */
  fetch(request: Request, event?: ExtendableEvent): Promise<Response>;
  /** Who answers API requests (`InstallOptions.routes`). */
  readonly routes: ApiRoutes;
  /** Removes every listener this call added (`fetch`, `message`, `install`, `activate`, `online`) and stops skipping waiting. */
  uninstall(): void;
}

/**
 * Adds the broker's `fetch`, `message` and lifecycle listeners to this service worker.
 * Pass a config when your app owns its worker (Workbox, vite-plugin-pwa injectManifest);
 * without one, the config comes from `registerTokenBroker({ worker })` and is persisted.
 * Call it before other `fetch` listeners so API requests reach the broker first.
 *
 * @example
 * import { installTokenBroker } from 'sw-token-broker/sw';
 * installTokenBroker({ tokenEndpoint: '/api/auth/refresh', apiPaths: ['/api/'] });
 */
export function installTokenBroker(
  config?: TokenBrokerConfig,
  options: InstallOptions = {},
): InstalledBroker {
  const { broker, ...installed } = installListeners(config, options, {
    leftToWorkbox,
    watchShadowed: watchForShadowedRoutes,
  });
  const fetchFn: typeof fetch = (input, init) => self.fetch(input, init);
  return {
    ...installed,
    broker: createHandle(broker),
    fetch: (request, event) => forwardWithToken(broker, request, (p) => holdOpen(event, p), fetchFn),
  };
}

/** `event.waitUntil(p)`, tolerant of no event and of one that has already finished (the work runs on). */
function holdOpen(event: ExtendableEvent | undefined, p: Promise<unknown>): void {
  try {
    event?.waitUntil(p);
  } catch {
    // InvalidStateError: the event is over; nothing to extend.
  }
}
