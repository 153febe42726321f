import type { DeclarativeConfig } from './config.js';
import { DEFAULT_API_PATHS } from './defaults.js';
import { pathReadings } from './paths.js';

// shared/ sees neither the DOM nor the WebWorker lib: the little of URL this module uses.
interface QueryParams {
  getAll(name: string): string[];
  append(name: string, value: string): void;
  set(name: string, value: string): void;
  delete(name: string): void;
}
declare const URL: new (
  url: string,
  base?: string,
) => { origin: string; pathname: string; protocol: string; href: string; searchParams: QueryParams };
declare const URLSearchParams: new (init: string) => QueryParams;

/**
 * What decides which requests the worker must see at all: the API path prefixes, the other
 * origins whose requests may get the token, and the login endpoint it captures. The standalone
 * worker learns it from its script URL (`?api=…&login=…&origin=…`) before any storage is read,
 * so static routing can send everything else to the network at install.
 */
export interface RouteScope {
  /** `apiPaths`, sorted, without duplicates. */
  apiPaths: string[];
  /** `allowedOrigins`, sorted, without duplicates. */
  origins: string[];
  /** The login endpoint: its path when it is on the worker's origin, else `origin + path`; null without one. */
  login: string | null;
}

/** The query parameter every declared scope has (one per API path prefix). */
export const ROUTE_SCOPE_PARAM = 'api';
const API = ROUTE_SCOPE_PARAM;
const LOGIN = 'login';
const ORIGIN = 'origin';
const MAX_ENTRIES = 100;
const MAX_LENGTH = 4096;

const strings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');
const canonical = (items: readonly string[]): string[] => [...new Set(items)].sort();

/** The login endpoint as the scope writes it, resolved against `origin` like the worker does. */
function loginOf(login: string, origin: string): string {
  const url = new URL(login, origin);
  return url.origin === origin ? url.pathname : `${url.origin}${url.pathname}`;
}

/**
 * The scope of a config, in canonical form, or null when the config cannot be read that way (the
 * worker then refuses the config itself, and no route depends on it).
 */
export function routeScopeOf(
  config: Pick<DeclarativeConfig, 'apiPaths' | 'allowedOrigins' | 'loginEndpoint'>,
  origin: string,
): RouteScope | null {
  const { apiPaths = DEFAULT_API_PATHS, allowedOrigins = [] } = config;
  if (!strings(apiPaths) || !strings(allowedOrigins)) return null;
  try {
    return {
      apiPaths: canonical(apiPaths),
      origins: canonical(allowedOrigins),
      login: config.loginEndpoint === undefined ? null : loginOf(config.loginEndpoint, origin),
    };
  } catch {
    return null;
  }
}

/** True when both describe the same requests (compare canonical forms only; null is no scope). */
export function sameRouteScope(a: RouteScope | null, b: RouteScope | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `scriptUrl` with `scope` in its query, replacing any scope it carried: one URL per scope, so
 * the same config never registers a new version and a changed one always does.
 */
export function withRouteScope(scriptUrl: string, scope: RouteScope, base: string): string {
  const url = new URL(scriptUrl, base);
  const query = url.searchParams;
  for (const key of [API, LOGIN, ORIGIN]) query.delete(key);
  for (const path of scope.apiPaths) query.append(API, path);
  if (scope.login !== null) query.set(LOGIN, scope.login);
  for (const origin of scope.origins) query.append(ORIGIN, origin);
  // A path stays a path (it is what error messages and logs show).
  return scriptUrl.startsWith('/') && !scriptUrl.startsWith('//')
    ? url.href.slice(url.origin.length)
    : url.href;
}

const isPath = (value: string): boolean => {
  if (!/^\/[\x21-\x7e]*$/.test(value) || /[?#]/.test(value) || value.length > MAX_LENGTH) return false;
  const readings = pathReadings(value);
  return readings.length === 1 && readings[0] === value;
};

/** An http(s) origin, or (`path`) an origin followed by a path, exactly as `URL` writes it. */
const isOrigin = (value: string, path = false): boolean => {
  try {
    const url = new URL(value);
    return (
      /^https?:$/.test(url.protocol) &&
      value === url.origin + (path ? url.pathname : '') &&
      isPath(url.pathname)
    );
  } catch {
    return false;
  }
};

/**
 * The scope a script URL's query carries, or null when it carries none or anything in it is
 * malformed: fail closed, then no route depends on it and every request reaches the worker.
 */
export function readRouteScope(search: string | undefined): RouteScope | null {
  const query = new URLSearchParams(search ?? '');
  const apiPaths = query.getAll(API);
  const origins = query.getAll(ORIGIN);
  const logins = query.getAll(LOGIN);
  if (apiPaths.length === 0 || apiPaths.length > MAX_ENTRIES || origins.length > MAX_ENTRIES) return null;
  if (logins.length > 1 || !apiPaths.every(isPath) || !origins.every((o) => isOrigin(o))) return null;
  const login = logins[0] ?? null;
  if (login !== null && !(login.startsWith('/') ? isPath(login) : isOrigin(login, true))) return null;
  return { apiPaths: canonical(apiPaths), origins: canonical(origins), login };
}
