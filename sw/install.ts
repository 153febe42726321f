import { clientsClaim } from 'workbox-core';
import { isEnvelope } from '../shared/protocol.js';
import { createBroadcaster } from './broadcast.js';
import { Broker } from './broker.js';
import { forwardWithToken, sendWithToken } from './forward.js';
import { captureLogin } from './login-capture.js';
import { createBrokerApi, serveCall } from './rpc.js';
import { isInterceptable, routeRequest } from './scope.js';
import { skipWaitingUntilActive } from './skip-waiting.js';
import { addBypassRoutes } from './static-routes.js';
import type { TokenBrokerConfig } from './settings.js';
import { createIdbStore, DEFAULT_DB_NAME } from './store.js';

declare let self: ServiceWorkerGlobalScope;

export interface InstallOptions {
  /** IndexedDB database name. @default 'sw-token-broker' */
  dbName?: string;
  /** Call `skipWaiting()` on install so a new version takes over at once. @default false */
  skipWaiting?: boolean;
  /**
   * Let navigations and non-fetch requests (scripts, styles, images) bypass this worker through
   * static routing where supported. Leave off if other handlers in your worker serve them (precaching). @default false
   */
  bypassStaticRequests?: boolean;
}

/** What `installTokenBroker` returns. */
export interface InstalledBroker {
  /** The broker, for apps that want to call it from their own handlers. */
  broker: Broker;
  /** Removes the listeners this call added. */
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
export function installTokenBroker(config?: TokenBrokerConfig, options: InstallOptions = {}): InstalledBroker {
  const fetchFn: typeof fetch = (input, init) => self.fetch(input, init);
  const broker = new Broker({
    origin: self.location.origin,
    store: createIdbStore(options.dbName ?? DEFAULT_DB_NAME),
    broadcaster: createBroadcaster(),
    fetch: fetchFn,
    ...(config ? { config } : {}),
  });
  const api = createBrokerApi(broker, () => self.clients.claim(), fetchFn);

  const onFetch = (event: FetchEvent): void => {
    const { request } = event;
    if (!isInterceptable(request)) return;
    const waitUntil = (p: Promise<unknown>): void => event.waitUntil(p);
    // Before the first load we cannot tell yet: forwardWithToken loads, then routes.
    if (!broker.isLoaded) return event.respondWith(forwardWithToken(broker, request, waitUntil, fetchFn));
    const config = broker.currentConfig();
    const route = config ? routeRequest(request, config) : 'pass';
    if (route === 'login') event.respondWith(captureLogin(broker, request, fetchFn));
    else if (route === 'token' && config) event.respondWith(sendWithToken(broker, config, request, waitUntil, fetchFn));
    // Not ours: the browser handles it natively, but the cheap proactive check still runs.
    else if ((broker.dueIn() ?? 1) <= 0) event.waitUntil(broker.refreshIfDue());
  };

  const onMessage = (event: ExtendableMessageEvent): void => {
    // workbox-window's messageSkipWaiting() convention; pages send it while this version waits.
    if (options.skipWaiting && (event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') {
      event.waitUntil(self.skipWaiting());
      return;
    }
    if (!isEnvelope(event.data)) return;
    const port = event.ports[0];
    if (!port) return;
    event.waitUntil(Promise.all([serveCall(api, event.data.call, port), broker.ready().then(() => broker.refreshIfDue())]));
  };

  let stopSkipping: (() => void) | undefined;
  const onInstall = (event: ExtendableEvent): void => {
    if (options.bypassStaticRequests) addBypassRoutes(event);
    if (options.skipWaiting) stopSkipping = skipWaitingUntilActive();
  };

  self.addEventListener('fetch', onFetch);
  self.addEventListener('message', onMessage);
  self.addEventListener('install', onInstall);
  clientsClaim();
  return {
    broker,
    uninstall() {
      self.removeEventListener('fetch', onFetch);
      self.removeEventListener('message', onMessage);
      self.removeEventListener('install', onInstall);
      stopSkipping?.();
    },
  };
}
