import { TokenBrokerError } from '../shared/errors.js';
import type { PageRoute, WireRequest, WireRequestHead, WireResponse } from '../shared/wire.js';
import type { Broker } from './broker.js';
import { captureLogin } from './login-capture.js';
import { routeRequest } from './scope.js';

// Credentials as a same-origin `fetch` from the page would send them.
const toRequest = (head: WireRequestHead, body: ArrayBuffer | null = null): Request =>
  new Request(head.url, { method: head.method, headers: head.headers, body, credentials: 'same-origin' });

/**
 * The worker's decision for a request on a page it does not control: the very rule its
 * `fetch` handler applies (`routeRequest`), so both paths agree on scope, exclusions, an
 * existing `Authorization` and login capture. A token that cannot be had is `null`.
 */
export async function routeForPage(broker: Broker, head: WireRequestHead): Promise<PageRoute> {
  await broker.ready();
  const config = broker.currentConfig();
  if (!config) return { route: 'pass', reason: 'not-configured' };
  const request = toRequest(head);
  const route = routeRequest(request, config);
  if (route === 'pass') {
    // Why, for the page's debug lines: the rule's second step, else its scope (sw/scope.ts).
    const own = config.respectExistingAuthorization && request.headers.has('authorization');
    return { route, reason: own ? 'own-authorization' : 'out-of-scope' };
  }
  if (route !== 'token') return { route };
  return { route, token: await broker.getAccessToken().catch(() => null) };
}

/**
 * Sends an uncontrolled page's login request through the worker's login capture, so the
 * refresh token is stored here and the page gets the answer without it, as on a controlled page.
 * Only the configured login endpoint: the worker is not a general proxy for pages.
 */
export async function captureLoginForPage(
  broker: Broker,
  wire: WireRequest,
  fetchFn: typeof fetch,
): Promise<WireResponse> {
  await broker.ready();
  const config = broker.currentConfig();
  const request = toRequest(wire, wire.body);
  if (!config || routeRequest(request, config) !== 'login')
    throw new TokenBrokerError('internal', 'captureLogin: not a request to the configured login endpoint');
  const response = await captureLogin(broker, request, fetchFn);
  const body = await response.arrayBuffer();
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body: body.byteLength > 0 ? body : null,
  };
}
