import type { DeclarativeConfig } from '../shared/config.js';
import { matchesPathPrefix } from '../shared/paths.js';

/** The page's copy of the worker's scope rule, for requests the worker cannot see (uncontrolled page). */
export function createPageScope(config: Partial<DeclarativeConfig> | undefined): (url: string) => boolean {
  // URLs in the config resolve against the origin, as in the worker (sw/settings.ts), not against this page's path.
  const origins = new Set([location.origin, ...(config?.allowedOrigins ?? []).map((o) => new URL(o, location.origin).origin)]);
  const paths = config?.apiPaths ?? ['/api/'];
  // The broker's own endpoints never get the token. Compared on origin + path like the worker
  // (sw/scope.ts): an endpoint configured with `?grant_type=…` is still that endpoint.
  const own = [config?.tokenEndpoint, config?.loginEndpoint, config?.revocationEndpoint].flatMap((u) => {
    if (!u) return [];
    const url = new URL(u, location.origin);
    return [url.origin + url.pathname];
  });
  const excluded = config?.excludePaths ?? [];
  return (raw) => {
    const url = new URL(raw, location.href);
    return (
      origins.has(url.origin) &&
      !own.includes(url.origin + url.pathname) &&
      paths.some((p) => matchesPathPrefix(url.pathname, p)) &&
      !excluded.some((p) => matchesPathPrefix(url.pathname, p))
    );
  };
}
