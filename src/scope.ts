import type { DeclarativeConfig } from '../shared/config.js';
import { matchesPathPrefix } from '../shared/paths.js';

/** The page's copy of the worker's scope rule, for requests the worker cannot see (uncontrolled page). */
export function createPageScope(config: Partial<DeclarativeConfig> | undefined): (url: string) => boolean {
  // URLs in the config resolve against the origin, as in the worker (sw/settings.ts), not against this page's path.
  const at = (url: string, base = location.origin): URL => new URL(url, base);
  const origins = [location.origin, ...(config?.allowedOrigins ?? []).map((o) => at(o).origin)];
  // The broker's own endpoints never get the token. Compared on origin + path like the worker
  // (sw/scope.ts): an endpoint configured with `?grant_type=…` is still that endpoint.
  const own = [config?.tokenEndpoint, config?.loginEndpoint, config?.revocationEndpoint].map((u) => u && at(u).origin + at(u).pathname);
  const under = (path: string, prefixes: string[] = []): boolean => prefixes.some((p) => matchesPathPrefix(path, p));
  return (raw) => {
    const { origin, pathname } = at(raw, location.href);
    return origins.includes(origin) && !own.includes(origin + pathname) && under(pathname, config?.apiPaths ?? ['/api/']) && !under(pathname, config?.excludePaths);
  };
}
