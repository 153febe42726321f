import type { DeclarativeConfig } from '../shared/config.js';
import { DEFAULT_API_PATHS } from '../shared/defaults.js';
import { isTokenPath } from '../shared/paths.js';

const strings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * The page's copy of the worker's scope rule, for requests the worker cannot see (uncontrolled
 * page). A hint the rule cannot read (a `scopeHint` the worker never validated) gives no token
 * anywhere: when in doubt, no token.
 */
export function createPageScope(config: Partial<DeclarativeConfig> | undefined): (url: string) => boolean {
  // URLs in the config resolve against the origin, as in the worker (sw/settings.ts), not against this page's path.
  const at = (url: string, base = location.origin): URL => new URL(url, base);
  const apiPaths: unknown = config?.apiPaths ?? DEFAULT_API_PATHS;
  const excludePaths: unknown = config?.excludePaths ?? [];
  const allowed: unknown = config?.allowedOrigins ?? [];
  const endpointUrls = [config?.tokenEndpoint, config?.loginEndpoint, config?.revocationEndpoint].filter(
    (u) => u !== undefined,
  );
  let origins: string[];
  let own: URL[];
  try {
    if (!strings(apiPaths) || !strings(excludePaths) || !strings(allowed) || !strings(endpointUrls))
      return () => false;
    origins = [location.origin, ...allowed.map((o) => at(o).origin)];
    // The broker's own endpoints never get the token. Compared on origin + path like the worker
    // (sw/scope.ts): an endpoint configured with `?grant_type=…` is still that endpoint.
    own = endpointUrls.filter((u) => u !== '').map((u) => at(u));
  } catch {
    return () => false;
  }
  return (raw) => {
    const { origin, pathname } = at(raw, location.href);
    const endpoints = own.filter((u) => u.origin === origin).map((u) => u.pathname);
    // The same path rule as the worker (shared/paths.ts): every reading in scope, none excluded.
    return origins.includes(origin) && isTokenPath(pathname, { apiPaths, excludePaths, endpoints });
  };
}
