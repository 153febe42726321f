import type { DeclarativeConfig } from '../shared/config.js';
import { isTokenPath } from '../shared/paths.js';

/** The page's copy of the worker's scope rule, for requests the worker cannot see (uncontrolled page). */
export function createPageScope(config: Partial<DeclarativeConfig> | undefined): (url: string) => boolean {
  // URLs in the config resolve against the origin, as in the worker (sw/settings.ts), not against this page's path.
  const at = (url: string, base = location.origin): URL => new URL(url, base);
  const origins = [location.origin, ...(config?.allowedOrigins ?? []).map((o) => at(o).origin)];
  // The broker's own endpoints never get the token. Compared on origin + path like the worker
  // (sw/scope.ts): an endpoint configured with `?grant_type=…` is still that endpoint.
  const own = [config?.tokenEndpoint, config?.loginEndpoint, config?.revocationEndpoint].filter((u): u is string => !!u).map((u) => at(u));
  const apiPaths = config?.apiPaths ?? ['/api/'];
  const excludePaths = config?.excludePaths ?? [];
  return (raw) => {
    const { origin, pathname } = at(raw, location.href);
    const endpoints = own.filter((u) => u.origin === origin).map((u) => u.pathname);
    // The same path rule as the worker (shared/paths.ts): every reading in scope, none excluded.
    return origins.includes(origin) && isTokenPath(pathname, { apiPaths, excludePaths, endpoints });
  };
}
