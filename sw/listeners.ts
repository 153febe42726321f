import { brokerNames } from '../shared/names.js';
import { isEnvelope } from '../shared/protocol.js';
import { createBroadcaster } from './broadcast.js';
import { passReason, pathOf } from './debug-log.js';
import { Broker } from './broker.js';
import { forwardWithToken, sendWithToken } from './forward.js';
import { captureLogin } from './login-capture.js';
import { createBrokerApi, serveCall } from './rpc.js';
import { isInterceptable, routeRequest } from './scope.js';
import { createHandover } from './skip-waiting.js';
import { type RouteScope, readRouteScope, routeScopeOf, sameRouteScope } from '../shared/route-scope.js';
import { addBypassRoutes, configScope, hasStaticRouting, mayReachBroker } from './static-routes.js';
import type { TokenBrokerConfig } from './settings.js';
import { createIdbStore } from './store.js';
import { deleteCaches } from './user-caches.js';
import { createConfigWait, withholdRefreshTokens } from './unconfigured.js';

declare let self: ServiceWorkerGlobalScope;

import type { ApiRoutes, InstalledBroker, InstallOptions } from './install.js';
/**
 * What only an app's own worker needs for Workbox routes (`InstallOptions.routes`): injected,
 * so the prebuilt `sw.js`, which has no other routes, ships without it.
 */
export interface ApiRouteHooks {
  /** Whether this (in-scope) request is left to the app's Workbox routes. */
  leftToWorkbox(routes: ApiRoutes, request: Request): boolean;
  /** Makes a later listener's `respondWith` on a request the broker answered visible. */
  watchShadowed(event: FetchEvent): void;
}

/** What `installListeners` returns; install.ts makes an `InstalledBroker` of it (the handle, `fetch`). */
export type ListenersInstalled = Omit<InstalledBroker, 'broker' | 'fetch'> & { broker: Broker };

/** The broker's own listener answers every API request: no Workbox route to leave one to. */
export const BUILTIN_ROUTES: ApiRouteHooks = { leftToWorkbox: () => false, watchShadowed: () => undefined };

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
export function installListeners(
  config: TokenBrokerConfig | undefined,
  options: InstallOptions,
  hooks: ApiRouteHooks,
): ListenersInstalled {
  const fetchFn: typeof fetch = (input, init) => self.fetch(input, init);
  const routes = options.routes ?? 'builtin';
  const names = brokerNames(options.dbName);
  const broadcaster = createBroadcaster(names.channel);
  const origin = self.location.origin;
  const store = createIdbStore(names.db);
  // The scope the script URL declares (standalone worker only; read before any storage).
  const declared = config ? null : readRouteScope(self.location.search);
  const broker = new Broker({
    origin,
    store,
    // Known without the install event (a restarted worker reports it too); the install guard
    // below may still have declined, which only makes a page's reload advice unneeded.
    routed: !!options.bypassNonApiRequests && declared !== null && hasStaticRouting(self),
    canRoute: !!options.bypassNonApiRequests && hasStaticRouting(self),
    broadcaster,
    fetch: fetchFn,
    lockName: names.refreshLock,
    ...(options.apiCacheNames?.length
      ? { clearUserData: () => deleteCaches(options.apiCacheNames ?? []) }
      : {}),
    ...(config ? { config } : {}),
  });
  // The scope static routes are built for at install: the config's, or (standalone) the script
  // URL's, but only if it agrees with the config pages already stored. A URL another tab
  // registered (an old bundle, a refused config) must never route the stored config's
  // requests past the worker: then no scope, and every request reaches it.
  const bypassScope = async (): Promise<RouteScope | null> => {
    if (!options.bypassNonApiRequests) return null;
    if (config) return routeScopeOf(config, origin);
    if (!declared) return null;
    try {
      const stored = await store.readConfig();
      return !stored || sameRouteScope(declared, routeScopeOf(stored, origin)) ? declared : null;
    } catch {
      return null; // unreadable: no route may depend on it
    }
  };
  const api = createBrokerApi(broker, () => self.clients.claim(), fetchFn);
  // Only a worker whose config comes from pages can be without one (see unconfigured.ts).
  const awaitConfig = config
    ? null
    : createConfigWait({
        configured: () => broker.currentConfig() !== null,
        announce: () =>
          broadcaster.post({
            type: 'error',
            error: { code: 'not-configured', message: 'the worker has no configuration: send it again' },
          }),
      });

  // Requests before the first load (we cannot route yet), and any while a standalone worker is
  // unconfigured: wait for the config, then route; without one, fail closed.
  const beforeConfig = async (
    request: Request,
    waitUntil: (p: Promise<unknown>) => void,
  ): Promise<Response> => {
    await broker.ready();
    if (awaitConfig && !(await awaitConfig())) return withholdRefreshTokens(request, await fetchFn(request));
    return forwardWithToken(broker, request, waitUntil, fetchFn);
  };

  // An update takes over when this version is quiet: every event's work is counted (skip-waiting.ts).
  const handover = createHandover();
  const extend = (event: ExtendableEvent, p: Promise<unknown>): void => {
    handover.track(p);
    event.waitUntil(p);
  };
  const respond = (event: FetchEvent, p: Promise<Response>): void => {
    handover.track(p);
    event.respondWith(p);
  };

  const onFetch = (event: FetchEvent): void => {
    const { request } = event;
    if (!isInterceptable(request)) return;
    const config = broker.currentConfig();
    // Outside the config's scope (what static routing keeps away where it can): passed before
    // any other work. Before the config is loaded the scope is not known yet.
    const scope = config && configScope(config, origin);
    if (scope && !mayReachBroker(new URL(request.url), scope, origin)) return;
    const waitUntil = (p: Promise<unknown>): void => extend(event, p);
    // Workbox routes answer API requests (tokenBrokerPlugin waits for the broker's load itself).
    if (config && hooks.leftToWorkbox(routes, request) && routeRequest(request, config) === 'token') {
      if (broker.policy.isDue()) extend(event, broker.refreshIfDue());
      return;
    }
    if (!broker.isLoaded || (awaitConfig && !config)) {
      respond(event, beforeConfig(request, waitUntil));
      return;
    }
    const route = config ? routeRequest(request, config) : 'pass';
    if (route === 'login') respond(event, captureLogin(broker, request, fetchFn));
    else if (route === 'token' && config) {
      respond(event, sendWithToken(broker, config, request, waitUntil, fetchFn));
      hooks.watchShadowed(event);
    } else {
      // Not ours (or a Workbox route's): answered elsewhere, but the cheap proactive check still runs.
      if (config?.debug)
        broker.debug('request not touched', {
          method: request.method,
          path: pathOf(request.url),
          reason: passReason(request, config),
        });
      if (broker.policy.isDue()) extend(event, broker.refreshIfDue());
    }
  };

  const onMessage = (event: ExtendableMessageEvent): void => {
    // workbox-window's messageSkipWaiting() convention: a page's `applyUpdate()` (or the
    // standalone client's nudge) asks the waiting version to take over, whatever `skipWaiting`
    // says; it does so at the old version's next quiet moment (skip-waiting.ts).
    if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') {
      event.waitUntil(handover.request());
      return;
    }
    if (handover.onMessage(event)) return;
    if (!isEnvelope(event.data)) return;
    const port = event.ports[0];
    if (!port) return;
    // Held until every refresh and revocation the call started has finished, not just until the
    // reply: a caller may stop waiting for a refresh long before its answer arrives.
    const served = serveCall(api, event.data.call, port).then(() => broker.settled());
    extend(event, Promise.all([served, broker.ready().then(() => broker.refreshIfDue())]));
  };

  const onInstall = (event: ExtendableEvent): void => {
    if (options.bypassStaticRequests || options.bypassNonApiRequests)
      addBypassRoutes(event, !!options.bypassStaticRequests, bypassScope, origin);
    if (options.skipWaiting) void handover.request();
  };

  // The browser says the network is back: our own backoff is over.
  const onOnline = (): void => broker.networkBack();

  // Our own listener rather than workbox-core's clientsClaim(), whose listener cannot be removed.
  const onActivate = (event: ExtendableEvent): void => {
    event.waitUntil(self.clients.claim());
  };

  self.addEventListener('fetch', onFetch);
  self.addEventListener('message', onMessage);
  self.addEventListener('install', onInstall);
  self.addEventListener('online', onOnline);
  if (options.clientsClaim !== false) self.addEventListener('activate', onActivate);
  return {
    broker,
    routes,
    uninstall() {
      self.removeEventListener('fetch', onFetch);
      self.removeEventListener('message', onMessage);
      self.removeEventListener('install', onInstall);
      self.removeEventListener('online', onOnline);
      self.removeEventListener('activate', onActivate);
      handover.stop();
    },
  };
}
