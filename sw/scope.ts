import { matchesPathPrefix } from '../shared/paths.js';
import type { ResolvedConfig } from './settings.js';

/**
 * Requests the broker may touch at all: fetch/XHR only (`destination === ''`), never
 * navigations or `no-cors` requests (PITFALLS §6).
 */
export function isInterceptable(request: Request): boolean {
  return request.destination === '' && request.mode !== 'navigate' && request.mode !== 'no-cors';
}

function sameEndpoint(url: URL, endpoint: URL | null): boolean {
  return endpoint !== null && url.origin === endpoint.origin && url.pathname === endpoint.pathname;
}

/**
 * Whether `url` gets the bearer token: its parsed origin is ours or allow-listed (exact
 * origin equality, so `api.example.com.evil.tld` never matches), its path lies under an
 * API prefix, and it is not one of the broker's own endpoints.
 */
export function isInScope(url: URL, config: ResolvedConfig): boolean {
  if (url.origin !== config.origin && !config.allowedOrigins.has(url.origin)) return false;
  if (sameEndpoint(url, config.tokenEndpoint) || sameEndpoint(url, config.loginEndpoint) || sameEndpoint(url, config.revocationEndpoint)) {
    return false;
  }
  if (config.excludePaths.some((p) => matchesPathPrefix(url.pathname, p))) return false;
  return config.apiPaths.some((p) => matchesPathPrefix(url.pathname, p));
}

export function isLoginRequest(request: Request, url: URL, config: ResolvedConfig): boolean {
  return request.method === 'POST' && sameEndpoint(url, config.loginEndpoint);
}

/** What the broker does with an interceptable request. */
export type Route = 'login' | 'token' | 'pass';

/**
 * The one routing rule, used on the hot path and for requests that arrived before the
 * config was loaded: an app's own `Authorization` wins (if so configured), then login
 * capture, then the API scope.
 */
export function routeRequest(request: Request, config: ResolvedConfig): Route {
  if (config.respectExistingAuthorization && request.headers.has('authorization')) return 'pass';
  const url = new URL(request.url);
  if (isLoginRequest(request, url, config)) return 'login';
  return isInScope(url, config) ? 'token' : 'pass';
}
