// worker/sw.ts: vite-plugin-pwa builds it (`strategies: 'injectManifest'`) and injects the precache manifest.
import { installTokenBroker, tokenBrokerPlugin } from 'sw-token-broker/sw';
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
  type PrecacheEntry,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

declare let self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };

const API_CACHE = 'api-data';

// First, so the broker sees every request before the routes below.
const installed = installTokenBroker(
  {
    tokenEndpoint: '/api/auth/refresh',
    loginEndpoint: '/api/auth/login',
    revocationEndpoint: '/api/auth/revoke',
    apiPaths: ['/api/'],
  },
  // /api/me goes through the Workbox route below; other API requests keep the built-in listener.
  // The cache holds one user's data: it is deleted when the session ends.
  { routes: { workbox: ['/api/me'] }, apiCacheNames: [API_CACHE] },
);

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
registerRoute(
  ({ url }) => url.pathname === '/api/me',
  new NetworkFirst({
    cacheName: API_CACHE,
    networkTimeoutSeconds: 5,
    plugins: [tokenBrokerPlugin(installed)],
  }),
);
