import { isEndpointPath, isTokenPath } from '../shared/paths.js';
import type { ResolvedConfig } from './settings.js';

/**
 * Requests the broker may touch at all: fetch/XHR only (`destination === ''`), never
 * navigations or `no-cors` requests (docs/platform-facts.md §6).
 */
export function isInterceptable(request: Request): boolean {
  return request.destination === '' && request.mode !== 'navigate' && request.mode !== 'no-cors';
}

/** Paths of the broker's endpoints that live on `origin`. */
function endpointsAt(origin: string, config: ResolvedConfig): string[] {
  return [config.tokenEndpoint, config.loginEndpoint, config.revocationEndpoint]
    .filter((u): u is URL => u !== null && u.origin === origin)
    .map((u) => u.pathname);
}

/**
 * Whether `url` gets the bearer token: its parsed origin is ours or allow-listed (exact
 * origin equality, so `api.example.com.evil.tld` never matches), and its path, read every way
 * a server might read it, lies under an API prefix and never under an excluded path or one of
 * the broker's own endpoints (shared/paths.ts).
 */
export function isInScope(url: URL, config: ResolvedConfig): boolean {
  if (url.origin !== config.origin && !config.allowedOrigins.has(url.origin)) return false;
  return isTokenPath(url.pathname, {
    apiPaths: config.apiPaths,
    excludePaths: config.excludePaths,
    endpoints: endpointsAt(url.origin, config),
  });
}

/** A POST that any server reading of its path would route to the login endpoint. */
export function isLoginRequest(request: Request, url: URL, config: ResolvedConfig): boolean {
  const login = config.loginEndpoint;
  return (
    request.method === 'POST' &&
    login !== null &&
    url.origin === login.origin &&
    isEndpointPath(url.pathname, [login.pathname])
  );
}

/** What the broker does with an interceptable request. */
export type Route = 'login' | 'token' | 'pass';

/**
 * The one routing rule, used on the hot path and for requests that arrived before the
 * config was loaded. Its order is fixed (README, "Routing order"):
 * 1. a POST to the login endpoint is captured, whatever headers it carries (an HTTP Basic
 *    login must not hand the refresh token to the page);
 * 2. a request with its own `Authorization` is left alone if `respectExistingAuthorization`;
 * 3. the API scope decides: token, or passed through untouched.
 */
export function routeRequest(request: Request, config: ResolvedConfig): Route {
  const url = new URL(request.url);
  if (isLoginRequest(request, url, config)) return 'login';
  if (config.respectExistingAuthorization && request.headers.has('authorization')) return 'pass';
  return isInScope(url, config) ? 'token' : 'pass';
}
