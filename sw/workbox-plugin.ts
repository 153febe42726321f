import type { WorkboxPlugin } from 'workbox-core/types.js';
import { TokenBrokerError } from '../shared/errors.js';
import { brokerOf } from './broker-handle.js';
import { cureUnauthorized, prepareAttempt, type PreparedAttempt } from './forward.js';
import type { InstalledBroker } from './install.js';
import { isInterceptable, routeRequest } from './scope.js';
import { warnOnce } from './warn-once.js';

declare let self: ServiceWorkerGlobalScope;

/** What one strategy call carries from `requestWillFetch` to `fetchDidSucceed` (Workbox's per-call plugin state). */
interface Attempt {
  prepared: PreparedAttempt;
  signal: AbortSignal;
  release: () => void;
  waitUntil: (p: Promise<unknown>) => void;
}

const ATTEMPT = 'swTokenBrokerAttempt';

/**
 * A Workbox plugin that gives any strategy (NetworkFirst, NetworkOnly, StaleWhileRevalidate…)
 * the broker's token, with the built-in listener's guarantees: it waits for a running refresh,
 * sends with the current token, and cures a 401 with one refresh through the one single
 * flight and one replay, never under another login. Install the broker with
 * `routes: 'workbox'` (or `{ workbox: [paths] }`) so its own listener leaves those API requests
 * to your routes.
 *
 * A request whose login ended before it could be sent fails like a network error (the
 * strategy may then answer from its cache, which logout emptied if you named it in
 * `apiCacheNames`). Responses are cached only when their status is 200 and their login is
 * still the current one, so a response that arrives after a logout never reaches the cache.
 *
 * @example
 * const installed = installTokenBroker(config, { routes: 'workbox', apiCacheNames: ['api'] });
 * registerRoute(({ url }) => url.pathname.startsWith('/api/'), new NetworkFirst({ cacheName: 'api', plugins: [tokenBrokerPlugin(installed)] }));
 */
export function tokenBrokerPlugin(installed: InstalledBroker): WorkboxPlugin {
  const broker = brokerOf(installed.broker);
  if (installed.routes === 'builtin') {
    warnOnce(
      'plugin-shadowed',
      "sw-token-broker: tokenBrokerPlugin is used, but installTokenBroker's own listener answers API requests first (routes: 'builtin'); pass { routes: 'workbox' } or { routes: { workbox: [paths] } }",
    );
  }
  const fetchFn: typeof fetch = (input, init) => self.fetch(input, init);
  return {
    async requestWillFetch({ request, event, state }) {
      if (!state || !isInterceptable(request)) return request;
      await broker.ready();
      const config = broker.currentConfig();
      // Login capture and unconfigured workers stay with the built-in listener.
      if (!config || routeRequest(request, config) !== 'token') return request;
      const tracked = broker.aborts.track(request);
      const waitUntil = holdOpen(event);
      const prepared = await prepareAttempt(broker, tracked.request, tracked.signal, waitUntil);
      if ('answer' in prepared) {
        tracked.release();
        // requestWillFetch cannot answer: fail like the network, never send under another login.
        if (prepared.answer.type === 'error') throw new DOMException('the request was aborted', 'AbortError');
        throw new TokenBrokerError(
          'session-changed',
          'the request was not sent: the login it belonged to has ended',
        );
      }
      const attempt: Attempt = { prepared, signal: tracked.signal, release: tracked.release, waitUntil };
      state[ATTEMPT] = attempt;
      return prepared.attempt;
    },

    async fetchDidSucceed({ response, state }) {
      const attempt = state?.[ATTEMPT] as Attempt | undefined;
      if (!attempt) return response;
      try {
        const config = broker.currentConfig();
        if (!config) {
          attempt.prepared.copy?.discard();
          return response;
        }
        return await cureUnauthorized(
          broker,
          config,
          attempt.prepared,
          response,
          attempt.signal,
          attempt.waitUntil,
          fetchFn,
        );
      } finally {
        attempt.release();
      }
    },

    async fetchDidFail({ state }) {
      const attempt = state?.[ATTEMPT] as Attempt | undefined;
      attempt?.prepared.copy?.discard();
      attempt?.release();
    },

    async cacheWillUpdate({ response, state }) {
      const attempt = state?.[ATTEMPT] as Attempt | undefined;
      const sent = attempt?.prepared.sent;
      // A response of a login that has ended since (logout, another login) is not the current user's.
      if (sent && broker.currentSession()?.lineage !== sent.lineage) return null;
      // Workbox's own default, which a plugin's cacheWillUpdate replaces: a 401 or a 503 we made up must never be cached.
      return response.status === 200 ? response : null;
    },
  };
}

/** The event's `waitUntil`, tolerant of an event that has already finished. */
function holdOpen(event: ExtendableEvent | undefined): (p: Promise<unknown>) => void {
  return (p) => {
    try {
      event?.waitUntil(p);
    } catch {
      // The event ended; the work still runs, only not kept alive by this event.
    }
  };
}
