import { warnOnce } from './warn-once.js';

/**
 * After the broker answered `event`, makes a later listener's `respondWith` visible: that
 * listener (a Workbox route for the same request, say) never gets to answer, and the browser
 * only throws `InvalidStateError` into it. The call still goes to the browser, which throws as
 * before; the warning names the path once and the fix.
 */
export function watchForShadowedRoutes(event: FetchEvent): void {
  const original = event.respondWith.bind(event);
  Object.defineProperty(event, 'respondWith', {
    configurable: true,
    value: (response: Response | PromiseLike<Response>) => {
      const path = new URL(event.request.url).pathname;
      warnOnce(
        'route-shadowed',
        `sw-token-broker: a later fetch handler (a Workbox route?) also matched ${path}, but the broker's built-in listener answered it first. ` +
          "To serve API requests through Workbox strategies, install with { routes: 'workbox' } and add tokenBrokerPlugin(installed) to their plugins.",
      );
      return original(response);
    },
  });
}
