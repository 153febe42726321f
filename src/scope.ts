import type { DeclarativeConfig } from '../shared/config.js';
import { matchesPathPrefix } from '../shared/paths.js';

/** The page's copy of the worker's scope rule, for requests the worker cannot see (uncontrolled page). */
export function createPageScope(config: Partial<DeclarativeConfig> | undefined): (url: string) => boolean {
  const origins = new Set([location.origin, ...(config?.allowedOrigins ?? []).map((o) => new URL(o).origin)]);
  const paths = config?.apiPaths ?? ['/api/'];
  // The broker's own endpoints never get the token, as in the worker.
  const own = [config?.tokenEndpoint, config?.loginEndpoint, config?.revocationEndpoint].flatMap((u) => (u ? [new URL(u, location.href).href] : []));
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
